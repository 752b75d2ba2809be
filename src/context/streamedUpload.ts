import type { Readable } from 'node:stream';

/**
 * One file of a GraphQL multipart request, as the value of its `Upload` variable: not the bytes,
 * a claim on them. The edge parses the request as it streams (src/plugins/uploads/), so when
 * execution starts the file may not have arrived yet; the executor that forwards the operation
 * to a source claims the stream and pipes it on (src/sources/graphql/multipartBody.ts). A file
 * is read once, by one claimant, in the order the client sent the files; nothing holds its
 * bytes but the socket buffers along the way.
 */
export class StreamedUpload {
  /** The file's field name in the client's request (a key of its `map`). */
  readonly key: string;
  /** Position of the file among the request's files, as the map lists them. */
  readonly index: number;
  #claim: ((claimant: (file: ArrivedFile) => void, refuse: (error: Error) => void) => void) | undefined;
  #claimed: Promise<ArrivedFile> | undefined;

  constructor(key: string, index: number, claim: (claimant: (file: ArrivedFile) => void, refuse: (error: Error) => void) => void) {
    this.key = key;
    this.index = index;
    this.#claim = claim;
  }

  /**
   * The file as it arrives. A second claim gets the same promise: one stream, read once (a
   * variable used in two places is sent to the source once, as the spec's map allows).
   */
  claim(): Promise<ArrivedFile> {
    if (!this.#claimed) {
      const claim = this.#claim!;
      this.#claim = undefined;
      this.#claimed = new Promise((resolve, reject) => claim(resolve, reject));
    }
    return this.#claimed;
  }

  /** JSON has no place for a file: a source call that forgot to stream it sends null, not bytes. */
  toJSON(): null {
    return null;
  }
}

/** A file part as it starts arriving. */
export interface ArrivedFile {
  stream: Readable;
  filename: string | undefined;
  contentType: string;
}

export function isStreamedUpload(value: unknown): value is StreamedUpload {
  return value instanceof StreamedUpload;
}
