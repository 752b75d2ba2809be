import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { parseMultipartRequest, type MultipartLimits } from '../../../src/plugins/uploads/parseMultipartRequest.js';
import type { StreamedUpload } from '../../../src/context/streamedUpload.js';

// The streaming parser of GraphQL multipart requests (docs/uploads.md), fed real multipart bytes.

const LIMITS: MultipartLimits = { maxFileBytes: 1024, maxFiles: 2, maxFieldBytes: 4096, maxDrainBytes: 1 << 20 };
const BOUNDARY = 'b0undary';
const headers = { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` };

function body(parts: [name: string, value: string, filename?: string][]): Readable {
  const text = parts
    .map(([name, value, filename]) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"${filename ? `; filename="${filename}"\r\nContent-Type: text/plain` : ''}\r\n\r\n${value}\r\n`)
    .join('');
  return Readable.from([Buffer.from(`${text}--${BOUNDARY}--\r\n`)]);
}
const operations = (variables: Record<string, unknown>) => JSON.stringify({ query: 'mutation($a: Upload, $b: Upload) { x }', variables });

describe('parseMultipartRequest', () => {
  it('places each file at the variables the map names, and hands its bytes to whoever claims it', async () => {
    const parsed = await parseMultipartRequest(
      body([['operations', operations({ a: null, list: [null] })], ['map', JSON.stringify({ f: ['variables.a', 'variables.list.0'] })], ['f', 'hello', 'a.txt']]),
      headers,
      LIMITS,
    );
    const variables = (parsed.params as { variables: { a: StreamedUpload; list: StreamedUpload[] } }).variables;
    expect(variables.a).toBe(variables.list[0]);
    const file = await variables.a.claim();
    expect({ filename: file.filename, contentType: file.contentType, text: await text(file.stream) }).toEqual({ filename: 'a.txt', contentType: 'text/plain', text: 'hello' });
    expect(parsed.tooLarge()).toBe(false);
  });

  it('errors a file past maxFileBytes for its reader and reports the request too large', async () => {
    const parsed = await parseMultipartRequest(body([['operations', operations({ a: null })], ['map', '{"f":["variables.a"]}'], ['f', 'x'.repeat(2000), 'big.bin']]), headers, LIMITS);
    const file = await (parsed.params as { variables: { a: StreamedUpload } }).variables.a.claim();
    await expect(text(file.stream)).rejects.toMatchObject({ extensions: { code: 'UPLOAD_TOO_LARGE', maxFileBytes: 1024 } });
    expect(parsed.tooLarge()).toBe(true);
  });

  it('refuses a map naming more files than maxFiles with UPLOAD_TOO_LARGE', async () => {
    const map = JSON.stringify({ f: ['variables.a'], g: ['variables.b'], h: ['variables.c'] });
    await expect(parseMultipartRequest(body([['operations', operations({ a: null, b: null, c: null })], ['map', map]]), headers, LIMITS)).rejects.toMatchObject({
      extensions: { code: 'UPLOAD_TOO_LARGE', maxFiles: 2 },
    });
  });

  it.each([
    ['map before operations', [['map', '{}'], ['operations', operations({})]], '"map" must come after "operations"'],
    ['operations that are not JSON', [['operations', '{nope'], ['map', '{}']], '"operations" is not a JSON object or array'],
    ['a path outside the variables', [['operations', operations({ a: null })], ['map', '{"f":["query"]}']], '"map" path "query" does not name a variable of the operations'],
    ['a path to a variable not sent', [['operations', operations({ a: null })], ['map', '{"f":["variables.zz"]}']], '"map" path "variables.zz" does not name a variable of the operations'],
    ['a prototype path', [['operations', operations({ a: null })], ['map', '{"f":["variables.__proto__"]}']], '"map" path "variables.__proto__" does not name a variable of the operations'],
  ] as const)('refuses %s with UPLOAD_INVALID and the reason', async (_, parts, reason) => {
    await expect(parseMultipartRequest(body(parts.map((part) => [...part])), headers, LIMITS)).rejects.toMatchObject({ extensions: { code: 'UPLOAD_INVALID', reason } });
  });

  it('rejects the claim of a file the map names but the request never sends', async () => {
    const parsed = await parseMultipartRequest(body([['operations', operations({ a: null })], ['map', '{"f":["variables.a"]}']]), headers, LIMITS);
    await expect((parsed.params as { variables: { a: StreamedUpload } }).variables.a.claim()).rejects.toMatchObject({
      extensions: { code: 'UPLOAD_INVALID', reason: 'file "f" is missing from the request' },
    });
  });

  it('skips an earlier file when only a later one is claimed, so the later one still arrives', async () => {
    const parsed = await parseMultipartRequest(
      body([['operations', operations({ a: null, b: null })], ['map', '{"f":["variables.a"],"g":["variables.b"]}'], ['f', 'first', 'f.txt'], ['g', 'second', 'g.txt']]),
      headers,
      LIMITS,
    );
    const { a, b } = (parsed.params as { variables: { a: StreamedUpload; b: StreamedUpload } }).variables;
    expect(await text((await b.claim()).stream)).toBe('second');
    await expect(a.claim()).rejects.toMatchObject({ extensions: { code: 'UPLOAD_INVALID' } });
  });
});
