import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { StreamedUpload, type ArrivedFile } from '../../../src/context/streamedUpload.js';
import { multipartBody, uploadsIn } from '../../../src/sources/graphql/multipartBody.js';

// The multipart request the gateway sends a source for a call whose variables hold files.

const upload = (key: string, index: number, file: Partial<ArrivedFile> & { text: string }) =>
  new StreamedUpload(key, index, (resolve) => resolve({ stream: Readable.from([Buffer.from(file.text)]), filename: file.filename, contentType: file.contentType ?? 'text/plain' }));

describe('uploadsIn', () => {
  it('finds files at any depth, each once with every path, in the order the client sent them', () => {
    const first = upload('a', 0, { text: '' });
    const second = upload('b', 1, { text: '' });
    const found = uploadsIn({ input: { files: [second, first] }, again: first, n: 1 });
    expect(found!.files.map(({ upload, paths }) => [upload.key, paths])).toEqual([
      ['a', ['variables.input.files.1', 'variables.again']],
      ['b', ['variables.input.files.0']],
    ]);
  });

  it('is undefined for variables without files', () => {
    expect(uploadsIn({ id: 'u1', list: [1, { a: null }] })).toBeUndefined();
    expect(uploadsIn(undefined)).toBeUndefined();
  });
});

describe('multipartBody', () => {
  it('writes operations (files as null), the map, then each file with its name and type', async () => {
    const file = upload('a', 0, { text: 'bytes', filename: 'x"y.png', contentType: 'image/png' });
    const variables = { file };
    const { contentType, body } = multipartBody(JSON.stringify({ query: 'q', variables }), uploadsIn(variables)!);
    const boundary = contentType.split('boundary=')[1]!;
    expect(await text(body)).toBe(
      `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\nContent-Type: application/json\r\n\r\n{"query":"q","variables":{"file":null}}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\nContent-Type: application/json\r\n\r\n{"0":["variables.file"]}\r\n` +
        `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="x_y.png"\r\nContent-Type: image/png\r\n\r\nbytes\r\n` +
        `--${boundary}--\r\n`,
    );
  });

  it('fails the body with the upload\'s own error when a file cannot be had', async () => {
    const missing = new StreamedUpload('a', 0, (_, reject) => reject(new Error('file "a" is missing')));
    const result = multipartBody('{}', uploadsIn({ missing })!);
    await expect(text(result.body)).rejects.toThrow('file "a" is missing');
    expect(result.failure()?.message).toBe('file "a" is missing');
  });
});
