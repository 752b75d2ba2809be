import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { brotliDecompress, gunzip, inflate, type ZlibOptions } from 'node:zlib';

/** Content codings the edge inflates itself, each bounded by the body limit. */
const INFLATERS: Record<string, (buffer: Buffer, options: ZlibOptions) => Promise<Buffer>> = {
  gzip: promisify(gunzip),
  'x-gzip': promisify(gunzip),
  deflate: promisify(inflate),
  br: promisify(brotliDecompress),
};

/** `identity` when the body is not encoded, the coding's name when the edge can inflate it, else `unsupported`. */
export function contentCodingOf(req: IncomingMessage): 'identity' | 'unsupported' | string {
  const header = req.headers['content-encoding']?.trim().toLowerCase();
  if (header === undefined || header === '' || header === 'identity') return 'identity';
  return header in INFLATERS ? header : 'unsupported';
}

export type BodyResult = Buffer | 'too-large' | 'aborted';

/**
 * Reads a request body, counting bytes as they arrive; past `max` it stops and resolves
 * 'too-large' (the caller answers 413 and drains the rest, src/server/rawAnswer.ts).
 */
export function readRequestBody(req: IncomingMessage, max: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: BodyResult) => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onAbort);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) done('too-large');
      else chunks.push(chunk);
    };
    const onEnd = () => done(Buffer.concat(chunks, size));
    const onAbort = () => done('aborted');
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onAbort);
    req.once('close', onAbort);
  });
}

/**
 * Inflates an encoded body, refusing to produce more than `max` bytes: zlib stops at
 * `maxOutputLength`, so a 1 KB gzip bomb costs at most `max` bytes of memory, never the gigabytes
 * it claims. 'too-large' past the limit, 'corrupt' for bytes that are not the named coding.
 */
export async function inflateBody(body: Buffer, coding: string, max: number): Promise<Buffer | 'too-large' | 'corrupt'> {
  const inflater = INFLATERS[coding];
  if (!inflater) return 'corrupt';
  try {
    return await inflater(body, { maxOutputLength: max });
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError ? 'too-large' : 'corrupt';
  }
}
