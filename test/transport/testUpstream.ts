import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpClient, type HttpClient, type UpstreamRequest } from '../../src/transport/httpClient.js';
import type { RequestScope } from '../../src/context/requestScope.js';
import { ANONYMOUS, type Principal } from '../../src/context/principal.js';

/** What the upstream does with one request. */
export type Behaviour =
  | { status: number; body?: unknown }
  /** Never answers (until the server closes). */
  | { hang: true }
  /** Destroys the socket without an answer, as a crashed process looks. */
  | { drop: true };

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
}

export interface TestUpstream extends AsyncDisposable {
  baseUrl: string;
  seen: SeenRequest[];
  /** Sets what the next requests get (applies until changed). */
  behave(behaviour: Behaviour): void;
  /** Resolves once `n` requests have arrived in total. */
  arrived(n: number): Promise<void>;
  /** A keep-alive pool to call it through, as the gateway does. */
  http: HttpClient;
}

/**
 * A real HTTP server on 127.0.0.1 (port 0) whose behaviour a test switches between answers,
 * hangs and dropped sockets; the transport under test reaches it through the real undici pool.
 */
export async function startTestUpstream(initial: Behaviour = { status: 200, body: { ok: true } }): Promise<TestUpstream> {
  let behaviour = initial;
  const seen: SeenRequest[] = [];
  const hanging = new Set<ServerResponse>();
  const waiters: { n: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '/', headers: req.headers });
    for (const waiter of waiters.filter((w) => seen.length >= w.n)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    req.resume();
    const now = behaviour;
    if ('hang' in now) {
      hanging.add(res);
      return;
    }
    if ('drop' in now) {
      req.socket.destroy();
      return;
    }
    res.writeHead(now.status, { 'content-type': 'application/json' }).end(JSON.stringify(now.body ?? { status: now.status }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const http = createHttpClient();
  const close = async () => {
    await http.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    behave(next) {
      behaviour = next;
    },
    arrived(n) {
      if (seen.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    http,
    [Symbol.asyncDispose]: close,
  };
}

/** A request scope as the server creates it, for calls made outside a running BFF. */
export function testScope(overrides: Partial<RequestScope> = {}): RequestScope {
  return { requestId: 'test-request', principal: ANONYMOUS, upstreamHeaders: {}, ...overrides };
}

export function principal(subject: string, scopes: string[], extra: Partial<Principal> = {}): Principal {
  return { kind: 'jwt', subject, scopes, roles: [], ...extra };
}

/** A GET read of `path`, as the REST source sends it. */
export function read(upstream: TestUpstream, path: string, scope?: RequestScope): UpstreamRequest {
  return { method: 'GET', url: upstream.baseUrl + path, source: 'test', idempotent: true, scope, headers: {} };
}

/** A POST write (a mutation), never idempotent. */
export function write(upstream: TestUpstream, path: string, scope?: RequestScope): UpstreamRequest {
  return { method: 'POST', url: upstream.baseUrl + path, source: 'test', body: '{"query":"mutation { x }"}', scope, headers: {} };
}

/** A clock the test moves by hand. */
export function manualClock(start = 1_700_000_000_000): { now: () => number; advance(ms: number): void } {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms) };
}

export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
