import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphQLParams } from 'graphql-yoga';
import type { PorticoPlugin, RequestScope } from '../../context/requestScope.js';
import { porticoError } from '../../errors/index.js';
import { collectYoungGeneration } from './collectYoungGeneration.js';
import { createCollectionMeter } from './createCollectionMeter.js';
import { parseMultipartRequest, type MultipartLimits, type MultipartRequest } from './parseMultipartRequest.js';

export interface UploadsOptions extends Omit<MultipartLimits, 'maxFieldBytes' | 'maxDrainBytes'> {
  /**
   * Accept GraphQL multipart requests.
   * @default false: see src/config/uploadsSchema.ts
   */
  enabled: boolean;
  /** Bytes of the `operations` and `map` fields: the BFF's `http.maxBodyBytes`, as for a JSON body. */
  maxFieldBytes: number;
  /** Body bytes dropped after the answer before the connection is closed: `http.maxDrainBytes`. */
  maxDrainBytes: number;
  /**
   * The request budget of an upload, in place of the BFF's `resilience.requestBudgetMs`.
   * @default 60_000: see src/config/uploadsSchema.ts
   */
  timeoutMs?: number;
  /**
   * Upload body bytes after which a young-generation collection frees the body chunks already
   * forwarded, so that they never add up to more than about this much; 0 leaves it to V8.
   * @default 4_194_304 (4 MiB): see src/config/uploadsSchema.ts
   */
  gcEveryBytes?: number;
  /** The collection `gcEveryBytes` runs. @default a V8 scavenge (collectYoungGeneration.ts) */
  collectGarbage?: () => void;
  /** Clock (ms), the one the transport reads deadlines with. @default Date.now */
  now?: () => number;
}

/**
 * File uploads, per the GraphQL multipart request spec, streamed: the request's `operations`
 * run through the whole pipeline like a JSON request (auth, cost, rate limit, authorization and
 * `@policy` all decide before the first file byte is forwarded), each `Upload` variable is a
 * StreamedUpload, and the source executor pipes the file to the source as it arrives
 * (src/sources/graphql/multipartBody.ts). The gateway never holds a whole file.
 *
 * - Uploads off: a multipart request is 400 UPLOADS_DISABLED.
 * - CSRF: a form can post multipart cross-site, so the CSRF plugin, which runs before this one
 *   in onRequestParse, requires a preflight header on it (400 CSRF_PREFLIGHT_REQUIRED).
 * - Limits: a file over `maxFileBytes` or more than `maxFiles` files is 413 UPLOAD_TOO_LARGE,
 *   also when found mid-stream: the source call is cut and the whole answer becomes the 413.
 *   A declared length over the total is refused at the edge (src/server/httpLimits.ts).
 * - Memory: the gateway holds no file, and the body chunks node:http copies as they arrive are
 *   collected every `gcEveryBytes` (createCollectionMeter.ts; docs/uploads.md, Memory).
 */
export function useUploads(options: UploadsOptions): PorticoPlugin {
  const requests = new WeakMap<RequestScope, MultipartRequest>();
  const limits: MultipartLimits = options;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const now = options.now ?? Date.now;
  const meter = createCollectionMeter(options.gcEveryBytes ?? 4 * 1024 * 1024, options.collectGarbage ?? collectYoungGeneration);
  return {
    onRequestParse({ request, serverContext, setRequestParser }) {
      if (request.method !== 'POST' || !isMultipart(request.headers.get('content-type'))) return;
      if (!options.enabled) throw porticoError('UPLOADS_DISABLED');
      const { req, res, portico } = serverContext as { req?: IncomingMessage; res?: ServerResponse; portico?: RequestScope };
      // A re-entered request (partner routes) has no socket to stream from, and needs no files.
      if (!req || !portico) throw porticoError('UPLOADS_DISABLED');
      // The upload's own budget: sending the files takes as long as the client's link does.
      portico.deadline = now() + timeoutMs;
      setRequestParser(async () => {
        // Beside the parser's pipe, attached in the same tick: it only counts what flows.
        req.on('data', (chunk: Buffer) => meter(chunk.length));
        const parsed = await parseMultipartRequest(req, req.headers, limits);
        requests.set(portico, parsed);
        portico.uploads = true;
        if (res) res.once('close', () => parsed.finish());
        else parsed.finish();
        return parsed.params as GraphQLParams | GraphQLParams[];
      });
    },
    onExecute({ args }) {
      const parsed = args.contextValue.portico && requests.get(args.contextValue.portico);
      if (!parsed) return undefined;
      return {
        onExecuteDone({ setResult }) {
          // A file found too large mid-stream cut the source call; the answer is the limit, not
          // the source error that followed from it.
          if (parsed.tooLarge()) {
            setResult({ errors: [porticoError('UPLOAD_TOO_LARGE', { details: { maxFileBytes: options.maxFileBytes, maxFiles: options.maxFiles } })] });
          }
        },
      };
    },
  };
}

function isMultipart(contentType: string | null): boolean {
  return contentType !== null && contentType.split(';', 1)[0]!.trim().toLowerCase() === 'multipart/form-data';
}
