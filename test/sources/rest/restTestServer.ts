import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TestReply {
  status: number;
  /** Sent as is when a string (to serve broken JSON), else JSON-encoded. */
  body: unknown;
}

export interface SeenRequest {
  /** Path and query exactly as received, still percent-encoded. */
  url: string;
  headers: IncomingHttpHeaders;
  method: string;
  /** The request body as text ('' for a GET). */
  body: string;
}

export interface TestServer {
  baseUrl: string;
  requests: SeenRequest[];
  /** Requests whose path (before `?`) equals `path`, or starts with it when it ends in `/`. */
  count(path: string): number;
  /** Most requests the server was answering at the same moment. */
  readonly maxInFlight: number;
  /** Forgets the requests seen so far, so each test counts only its own. */
  reset(): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1, port 0, that records every request and how many overlapped.
 * `handle` may return a promise to hold a request open (the concurrency tests gate on deferreds).
 */
export async function startTestServer(handle: (url: URL, request: SeenRequest) => TestReply | Promise<TestReply>): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server = createServer((req, res) => {
    const raw = req.url ?? '/';
    const seen: SeenRequest = { url: raw, headers: req.headers, method: req.method ?? 'GET', body: '' };
    requests.push(seen);
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    const received = new Promise<void>((resolve) => req.once('end', resolve));
    void received
      .then(() => {
        seen.body = Buffer.concat(chunks).toString('utf8');
        return handle(new URL(raw, 'http://test'), seen);
      })
      .then(
        (reply) => {
          inFlight--;
          const body = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
          res.writeHead(reply.status, { 'content-type': 'application/json' }).end(body);
        },
        (error: unknown) => {
          inFlight--;
          res.writeHead(500).end(String(error));
        },
      );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    count(path) {
      return requests.filter(({ url }) => {
        const pathname = url.split('?')[0] ?? '';
        return path.endsWith('/') ? pathname.startsWith(path) : pathname === path;
      }).length;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    reset() {
      requests.length = 0;
      maxInFlight = inFlight;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function createDeferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
