import { createHash, randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** The demo users service's upload mutation (`subgraphs/users`): it answers each file's size and hash. */
export const UPLOAD_MUTATION = 'mutation Upload($file: Upload!) { uploadAvatar(file: $file) { bytes sha256 filename contentType } }';

/** Deterministic file bytes, produced chunk by chunk, so neither side needs the whole file. */
export function* fileChunks(bytes: number): Generator<Buffer> {
  for (let sent = 0, n = 0; sent < bytes; n++) {
    // A fresh buffer each time: a written chunk may still be queued in the socket.
    const size = Math.min(64 * 1024, bytes - sent);
    yield Buffer.alloc(size, n % 251);
    sent += size;
  }
}

/** The SHA-256 of the `fileChunks(bytes)` file, as the users service reports it. */
export function sha256Of(bytes: number): string {
  const hash = createHash('sha256');
  for (const chunk of fileChunks(bytes)) hash.update(chunk);
  return hash.digest('hex');
}

export interface UploadAnswer {
  status: number;
  headers: IncomingHttpHeaders;
  body: { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

export interface UploadOptions {
  /** Request headers, over the defaults (a preflight header; an `authorization` when `bearer` is given). */
  headers?: Record<string, string>;
  bearer?: string;
  /** Send the body chunked, declaring no length. */
  chunked?: boolean;
  /** The Content-Length to declare, when not the body's real length. */
  declare?: number;
}

/**
 * POSTs a GraphQL multipart request with one file of `bytes` for `UPLOAD_MUTATION`, written as
 * the socket drains (node:http, so the body really streams and the client holds no file):
 * declared with a Content-Length unless `chunked`.
 */
export function uploadFile(url: string, bytes: number, options: UploadOptions = {}): Promise<UploadAnswer> {
  const boundary = `test-${randomUUID()}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n${JSON.stringify({ query: UPLOAD_MUTATION, variables: { file: null } })}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n${JSON.stringify({ 0: ['variables.file'] })}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="avatar.png"\r\nContent-Type: image/png\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const length = options.declare ?? head.length + bytes + tail.length;
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: 'POST',
      headers: {
        'content-type': `multipart/form-data; boundary=${boundary}`,
        accept: 'application/graphql-response+json',
        'graphql-require-preflight': '1',
        ...(options.bearer ? { authorization: `Bearer ${options.bearer}` } : {}),
        ...(options.chunked ? {} : { 'content-length': String(length) }),
        ...options.headers,
      },
    });
    let answered = false;
    req.once('response', (res) => {
      answered = true;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.once('end', () => {
        try {
          resolve({ status: res.statusCode!, headers: res.headers, body: JSON.parse(text) as UploadAnswer['body'] });
        } catch (error) {
          reject(new Error(`${res.statusCode}: ${text.slice(0, 200)}: ${String(error)}`));
        }
      });
    });
    // Once the answer is in, the gateway may close while the rest of the body is still going.
    req.once('error', (error) => (answered ? undefined : reject(error)));
    const chunks = (function* () {
      yield head;
      yield* fileChunks(bytes);
      yield tail;
    })();
    const write = () => {
      for (let next = chunks.next(); !next.done; next = chunks.next()) {
        if (answered || req.destroyed) return;
        if (!req.write(next.value)) return void req.once('drain', write);
      }
      req.end();
    };
    write();
  });
}
