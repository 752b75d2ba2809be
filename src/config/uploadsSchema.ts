import { z } from 'zod';

// File uploads per BFF (GraphQL multipart request spec; src/plugins/uploads/useUploads.ts,
// docs/uploads.md). Off unless a BFF turns them on: a multipart request is then 400
// UPLOADS_DISABLED.

const MIB = 1024 * 1024;

export const uploadsSchema = z
  .strictObject({
    /**
     * Accept `multipart/form-data` GraphQL requests and stream their files to the source.
     * @default false: most BFFs take no files, and a multipart endpoint is more surface
     * (a form can post one cross-site, so the CSRF preflight header is required for it).
     */
    enabled: z.boolean().default(false),
    /**
     * Bytes of one file; more is 413 UPLOAD_TOO_LARGE, even mid-stream.
     * @default 10_485_760 (10 MiB): an avatar or a document scan, not a video.
     */
    maxFileBytes: z.number().int().positive().default(10 * MIB),
    /**
     * Files in one request; more is 413 UPLOAD_TOO_LARGE.
     * @default 5: a form with a few attachments; each file is streamed in turn.
     */
    maxFiles: z.number().int().positive().default(5),
    /**
     * The budget of a request carrying files, from arrival to answer, in place of
     * `resilience.requestBudgetMs`; the source call that streams the files is bounded by it
     * alone, not by the source's `timeoutMs`, since its length is the client's upload speed.
     * The whole request must still arrive within `http.requestTimeoutMs`: raise both together.
     * @default 60_000: 10 MiB over a 2 Mbit/s mobile uplink takes 40 s.
     */
    timeoutMs: z.number().int().positive().default(60_000),
    /**
     * Upload body bytes after which the gateway runs a young-generation garbage collection (a
     * V8 scavenge). node:http copies each chunk of a request body into a fresh buffer that is
     * dead once forwarded; V8 frees them only when 32 MiB have piled up, so without this a
     * streaming upload raises RSS by up to 32 MiB, with it by about `gcEveryBytes`. 0 leaves
     * collections to V8.
     * @default 4_194_304 (4 MiB): a 50 MiB upload then grows RSS by 4-5 MiB, not 31, with 13
     * scavenges that cost less CPU than they save (freed chunks are reused while in cache;
     * docs/uploads.md, Memory).
     */
    gcEveryBytes: z.number().int().nonnegative().default(4 * MIB),
  })
  .prefault({});

export type UploadsConfig = z.infer<typeof uploadsSchema>;

/**
 * The most bytes a multipart request may declare: every file at its limit, plus the
 * `operations` and `map` fields (each bounded by `http.maxBodyBytes`, like a JSON body) and part
 * headers. A larger declared length is refused before a byte is read.
 */
export function maxUploadRequestBytes(uploads: UploadsConfig, maxBodyBytes: number): number {
  return uploads.maxFiles * (uploads.maxFileBytes + 1024) + 2 * maxBodyBytes;
}
