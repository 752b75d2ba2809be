import { randomBytes } from 'node:crypto';
import { PassThrough, type Readable } from 'node:stream';
import { isStreamedUpload, type StreamedUpload } from '../../context/streamedUpload.js';

/** The files among a source call's variables, each with every path it fills. */
export interface UploadsInVariables {
  files: { upload: StreamedUpload; paths: string[] }[];
}

/**
 * The StreamedUploads anywhere in `variables` (a list of files, an input object holding one), in
 * the order the client sent them; undefined when there are none, which is nearly every call.
 */
export function uploadsIn(variables: unknown): UploadsInVariables | undefined {
  let found: Map<StreamedUpload, string[]> | undefined;
  const walk = (value: unknown, path: string, depth: number): void => {
    if (typeof value !== 'object' || value === null || depth > 32) return;
    if (isStreamedUpload(value)) {
      found ??= new Map();
      const paths = found.get(value) ?? [];
      paths.push(path);
      found.set(value, paths);
      return;
    }
    if (Array.isArray(value)) value.forEach((item, i) => walk(item, `${path}.${i}`, depth + 1));
    else for (const [key, item] of Object.entries(value)) walk(item, `${path}.${key}`, depth + 1);
  };
  walk(variables, 'variables', 0);
  if (!found) return undefined;
  return { files: [...found].map(([upload, paths]) => ({ upload, paths })).sort((a, b) => a.upload.index - b.upload.index) };
}

/** A GraphQL multipart request to a source: its content type and its body, streamed. */
export interface MultipartBody {
  contentType: string;
  body: Readable;
  /** The upload error that cut the body short (a file too large, missing, skipped), if one did. */
  failure(): Error | undefined;
}

/**
 * The source's GraphQL multipart request (the same spec the client used): `operations` (the
 * StreamedUploads serialise as null), `map`, then each file piped from the client's request as
 * it arrives. Backpressure runs end to end (undici's socket → this stream → the client's file
 * stream → busboy → the client's socket), so a slow source slows the client, and memory stays
 * flat.
 */
export function multipartBody(operations: string, uploads: UploadsInVariables): MultipartBody {
  const boundary = `portico-${randomBytes(12).toString('hex')}`;
  const map: Record<string, string[]> = {};
  uploads.files.forEach(({ paths }, i) => (map[String(i)] = paths));
  let failure: Error | undefined;
  // Files are piped, not iterated: a pipe moves a chunk with no promise or iterator result per
  // chunk, so a large file allocates next to nothing on the JS heap as it passes.
  const body = new PassThrough();
  const fail = (error: Error) => {
    failure ??= error;
    body.destroy(error);
  };
  body.write(`--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\nContent-Type: application/json\r\n\r\n${operations}\r\n`);
  body.write(`--${boundary}\r\nContent-Disposition: form-data; name="map"\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(map)}\r\n`);
  const next = (i: number): void => {
    const entry = uploads.files[i];
    if (!entry) {
      body.end(`--${boundary}--\r\n`);
      return;
    }
    entry.upload.claim().then((file) => {
      if (body.destroyed) return void file.stream.destroy();
      // Cut off before it was claimed (over the limit): its error will not be emitted again.
      if (file.stream.destroyed) return fail(file.stream.errored ?? new Error('the file was cut off'));
      const filename = file.filename === undefined ? '' : `; filename="${quoted(file.filename)}"`;
      body.write(`--${boundary}\r\nContent-Disposition: form-data; name="${i}"${filename}\r\nContent-Type: ${file.contentType.replace(/[\r\n]/g, '')}\r\n\r\n`);
      file.stream.once('error', fail);
      file.stream.once('end', () => {
        body.write('\r\n');
        next(i + 1);
      });
      // The source went away: the client's file is no longer wanted (the parser drains it).
      body.once('close', () => file.stream.destroy());
      file.stream.pipe(body, { end: false });
    }, fail);
  };
  next(0);
  return { contentType: `multipart/form-data; boundary=${boundary}`, body, failure: () => failure };
}

/** A filename inside a quoted header parameter: no quote, backslash or line break can end it. */
function quoted(filename: string): string {
  return filename.replace(/["\\\r\n]/g, '_');
}
