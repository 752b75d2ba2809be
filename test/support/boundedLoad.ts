/** What a bounded load run saw. */
export interface LoadReport {
  sent: number;
  /** Status → count. */
  statuses: Record<number, number>;
  /** Requests that got no HTTP answer, with the error's code (ECONNREFUSED, ECONNRESET, …). */
  transportErrors: Record<string, number>;
  /** Answers whose body did not satisfy `check`. */
  badBodies: number;
}

export interface BoundedLoadOptions {
  /** Requests to send in all. */
  total: number;
  /** Requests in flight at once. */
  concurrency: number;
  /** The request for the i-th call (its URL, so a load can spread over several instances). */
  request(i: number): { url: string; init: RequestInit };
  /** Accepts or rejects an answer's parsed body. @default every body passes */
  check?: (body: unknown, status: number, i: number) => boolean;
  /** Called after each answer (or failure) with the number done so far, e.g. to act mid-load. */
  onProgress?: (done: number) => void;
  /** Called for each request that got no HTTP answer, with its index and error code. */
  onTransportError?: (i: number, code: string) => void;
}

/**
 * A fixed number of requests, a fixed number at a time: load that ends by itself, so a test can
 * assert on every single request instead of on rates. No timers: pacing is the round trip.
 */
export async function boundedLoad(options: BoundedLoadOptions): Promise<LoadReport> {
  const report: LoadReport = { sent: 0, statuses: {}, transportErrors: {}, badBodies: 0 };
  let next = 0;
  let done = 0;
  const worker = async () => {
    while (next < options.total) {
      const i = next++;
      report.sent += 1;
      const { url, init } = options.request(i);
      try {
        const response = await fetch(url, init);
        const text = await response.text();
        report.statuses[response.status] = (report.statuses[response.status] ?? 0) + 1;
        if (options.check) {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          if (!options.check(body, response.status, i)) report.badBodies += 1;
        }
      } catch (error) {
        const code = errorCode(error);
        report.transportErrors[code] = (report.transportErrors[code] ?? 0) + 1;
        options.onTransportError?.(i, code);
      }
      done += 1;
      options.onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return report;
}

function errorCode(error: unknown): string {
  let current: unknown = error;
  while (current instanceof Error) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return error instanceof Error ? error.name : 'unknown';
}

/** A promise with its resolve function, to order test steps without sleeping. */
export function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((settle) => (resolve = settle));
  return { promise, resolve };
}
