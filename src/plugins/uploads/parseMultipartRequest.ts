import { PassThrough, type Readable } from 'node:stream';
import type { IncomingHttpHeaders } from 'node:http';
import { Busboy, type BusboyFileStream, type BusboyHeaders } from '@fastify/busboy';
import { porticoError } from '../../errors/index.js';
import { StreamedUpload, type ArrivedFile } from '../../context/streamedUpload.js';

export interface MultipartLimits {
  /** Bytes of one file. */
  maxFileBytes: number;
  /** Files in one request (entries of `map`, file parts). */
  maxFiles: number;
  /** Bytes of the `operations` and of the `map` field: the BFF's JSON body limit. */
  maxFieldBytes: number;
  /** Body bytes read and dropped once the answer is sent, before the connection is closed. */
  maxDrainBytes: number;
}

/** A GraphQL multipart request being read: its operations, files still streaming. */
export interface MultipartRequest {
  /** `operations` with each mapped variable set to its file's StreamedUpload. */
  params: Record<string, unknown> | Record<string, unknown>[];
  /** True once a file ran past `maxFileBytes`, or a file past `maxFiles` came. */
  tooLarge(): boolean;
  /** The answer is out: files nobody claimed are skipped, the rest of the body drained (bounded). */
  finish(): void;
}

/**
 * Reads a GraphQL multipart request (github.com/jaydenseric/graphql-multipart-request-spec) as
 * it streams: `operations` and `map` are parsed, then the promise resolves, and each file is
 * handed to whoever claims its StreamedUpload when its part arrives. Nothing is buffered beyond
 * the stream's own high-water marks: an unclaimed file holds busboy, which holds the socket
 * (TCP backpressure). yoga's own multipart support (@whatwg-node's formData) collects every
 * file in memory, which is why this exists (docs/uploads.md).
 *
 * Files are read in the order the client sends them. When a later file is claimed while an
 * earlier one waits unclaimed, the earlier one is skipped (after the claims of the same tick,
 * so fields executed side by side each get theirs): an operation must use its files in order.
 */
export function parseMultipartRequest(body: Readable, headers: IncomingHttpHeaders, limits: MultipartLimits): Promise<MultipartRequest> {
  return new Promise((resolveParams, rejectParams) => {
    let busboy: ReturnType<typeof createBusboy>;
    try {
      busboy = createBusboy(headers, limits);
    } catch {
      rejectParams(porticoError('UPLOAD_INVALID', { details: { reason: 'the multipart content type has no boundary' } }));
      return;
    }
    let operations: Record<string, unknown> | Record<string, unknown>[] | undefined;
    let paramsSettled = false;
    let tooLarge = false;
    let ended = false;
    let finished = false;
    const uploads = new Map<string, StreamedUpload>();
    const arrived = new Set<string>();
    const waiting = new Map<string, { resolve: (file: ArrivedFile) => void; reject: (error: Error) => void }>();
    let held: { key: string; file: ArrivedFile } | undefined;

    const fail = (error: Error) => {
      if (!paramsSettled) {
        paramsSettled = true;
        rejectParams(error);
      }
      for (const claim of waiting.values()) claim.reject(error);
      waiting.clear();
    };
    const invalid = (reason: string) => fail(porticoError('UPLOAD_INVALID', { details: { reason } }));
    const overLimit = () => porticoError('UPLOAD_TOO_LARGE', { details: { maxFileBytes: limits.maxFileBytes, maxFiles: limits.maxFiles } });
    const skip = (file: ArrivedFile) => {
      file.stream.destroy();
    };
    // A later file claimed while an earlier one is held: the earlier one is skipped, unless a
    // claim of the same tick asks for it.
    const skipHeldUnlessClaimed = () =>
      setImmediate(() => {
        if (held && !waiting.has(held.key) && waiting.size > 0) {
          skip(held.file);
          held = undefined;
        }
      });

    const claim = (key: string) => (resolve: (file: ArrivedFile) => void, reject: (error: Error) => void) => {
      if (held?.key === key) {
        const { file } = held;
        held = undefined;
        resolve(file);
      } else if (arrived.has(key)) {
        reject(porticoError('UPLOAD_INVALID', { details: { reason: `file "${key}" was skipped: an operation must use its files in the order they are sent` } }));
      } else if (ended) {
        reject(tooLarge ? overLimit() : porticoError('UPLOAD_INVALID', { details: { reason: `file "${key}" is missing from the request` } }));
      } else {
        waiting.set(key, { resolve, reject });
        if (held) skipHeldUnlessClaimed();
      }
    };

    busboy.on('field', (name: string, value: string, _nameTruncated: boolean, valueTruncated: boolean) => {
      if (valueTruncated) return fail(porticoError('PAYLOAD_TOO_LARGE', { details: { maxBodyBytes: limits.maxFieldBytes } }));
      if (name === 'operations') {
        if (operations !== undefined) return invalid('"operations" is given twice');
        const parsed = parseJson(value);
        if (typeof parsed !== 'object' || parsed === null) return invalid('"operations" is not a JSON object or array');
        operations = parsed as Record<string, unknown>;
      } else if (name === 'map') {
        if (operations === undefined) return invalid('"map" must come after "operations"');
        if (paramsSettled) return invalid('"map" is given twice');
        const map = parseJson(value);
        if (typeof map !== 'object' || map === null || Array.isArray(map)) return invalid('"map" is not a JSON object');
        const entries = Object.entries(map as Record<string, unknown>);
        if (entries.length > limits.maxFiles) {
          tooLarge = true;
          return fail(overLimit());
        }
        for (const [index, [key, paths]] of entries.entries()) {
          if (!Array.isArray(paths) || paths.length === 0) return invalid(`"map" entry "${key}" is not a list of paths`);
          const upload = new StreamedUpload(key, index, claim(key));
          uploads.set(key, upload);
          for (const at of paths) {
            if (typeof at !== 'string' || !placeAt(operations, at, upload)) return invalid(`"map" path ${JSON.stringify(at)} does not name a variable of the operations`);
          }
        }
        paramsSettled = true;
        resolveParams({ params: operations, tooLarge: () => tooLarge, finish });
      } else {
        invalid(`unexpected field "${name}": a GraphQL multipart request has "operations", "map" and files`);
      }
    });

    busboy.on('file', (key: string, stream: BusboyFileStream, filename: string | undefined, _encoding: string, contentType: string) => {
      const upload = uploads.get(key);
      if (!paramsSettled || !upload || finished) {
        if (!paramsSettled) invalid('files must come after "operations" and "map"');
        stream.resume();
        return;
      }
      arrived.add(key);
      // The claimant reads this, not busboy's stream: past the limit it errors (so the source
      // call fails rather than receiving a truncated file), and busboy's part is drained.
      const out = new PassThrough();
      // Errors reach the claimant through the stream's state (its reads fail); with nobody
      // claiming yet, an 'error' event with no listener would take the process down.
      out.on('error', () => {});
      stream.once('error', (error: Error) => out.destroy(error));
      stream.pipe(out);
      stream.once('limit', () => {
        tooLarge = true;
        stream.unpipe(out);
        stream.resume();
        out.destroy(overLimit());
      });
      out.once('close', () => {
        // Skipped or abandoned by its claimant: the rest of the part is read and dropped.
        if (!stream.readableEnded) {
          stream.unpipe(out);
          stream.resume();
        }
      });
      const file: ArrivedFile = { stream: out, filename: filename || undefined, contentType };
      const claimant = waiting.get(key);
      if (claimant) {
        waiting.delete(key);
        claimant.resolve(file);
      } else if (finished) {
        skip(file);
      } else {
        held = { key, file };
        if (waiting.size > 0) skipHeldUnlessClaimed();
      }
    });

    busboy.on('filesLimit', () => {
      tooLarge = true;
    });
    busboy.on('fieldsLimit', () => invalid('too many fields: a GraphQL multipart request has "operations", "map" and files'));
    busboy.on('partsLimit', () => {
      tooLarge = true;
    });
    busboy.on('error', (error: Error) => invalid(`the multipart body is malformed: ${error.message}`));
    busboy.on('finish', () => {
      ended = true;
      if (!paramsSettled) invalid('"operations" and "map" are missing');
      for (const [key, claimant] of waiting) {
        claimant.reject(tooLarge ? overLimit() : porticoError('UPLOAD_INVALID', { details: { reason: `file "${key}" is missing from the request` } }));
      }
      waiting.clear();
    });
    body.once('error', () => invalid('the request body was cut off'));
    body.once('aborted', () => invalid('the request body was cut off'));
    body.pipe(busboy);

    function finish(): void {
      if (finished) return;
      finished = true;
      if (held) {
        skip(held.file);
        held = undefined;
      }
      if (ended) return;
      // Whatever the client still sends is read and dropped, up to the drain limit: enough for it
      // to see the answer, not enough to keep a socket busy for ever.
      let drained = 0;
      body.unpipe(busboy);
      body.on('data', (chunk: Buffer) => {
        drained += chunk.length;
        if (drained > limits.maxDrainBytes) body.destroy();
      });
      body.resume();
    }
  });
}

function createBusboy(headers: IncomingHttpHeaders, limits: MultipartLimits) {
  return new Busboy({
    headers: headers as BusboyHeaders,
    limits: {
      fieldSize: limits.maxFieldBytes,
      fields: 2,
      fileSize: limits.maxFileBytes,
      files: limits.maxFiles,
      parts: limits.maxFiles + 2,
      // Part headers (Content-Disposition, Content-Type) are small; a huge one is an attack.
      headerSize: 16_384,
    },
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Sets `variables.file` (or `0.variables.files.1` in a batch) to the upload. Only paths into an
 * operation's variables are accepted: a file has no business in the query text or extensions.
 */
function placeAt(operations: Record<string, unknown> | Record<string, unknown>[], at: string, upload: StreamedUpload): boolean {
  const segments = at.split('.');
  let target: unknown = operations;
  if (Array.isArray(operations)) {
    const index = Number(segments.shift());
    if (!Number.isInteger(index)) return false;
    target = operations[index];
  }
  if (segments.shift() !== 'variables' || segments.length === 0) return false;
  if (typeof target !== 'object' || target === null) return false;
  let container = (target as Record<string, unknown>)['variables'];
  for (const [i, segment] of segments.entries()) {
    if (typeof container !== 'object' || container === null) return false;
    if (segment === '__proto__' || segment === 'constructor' || segment === 'prototype') return false;
    const record = container as Record<string, unknown>;
    if (i === segments.length - 1) {
      if (!(segment in record)) return false;
      record[segment] = upload;
      return true;
    }
    container = record[segment];
  }
  return false;
}
