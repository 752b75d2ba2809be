import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, register as defaultRegister, type Registry } from 'prom-client';
import type { Logger } from 'pino';
import { runAdminAction, type AdminAction } from './adminActions.js';
import type { OperatorConsole } from './console/operatorConsole.js';

export interface AdminServerOptions {
  host: string;
  /** 0 picks a free port (tests). */
  port: number;
  /** Breaker state per source, as /readyz reports it, for `GET /sources`. */
  sources?: () => Record<string, unknown>;
  /** @default prom-client's default registry, which every part of Portico registers into */
  registry?: Registry;
  logger: Logger;
  /** `POST <path>` operations (src/runtime/adminActions.ts): reload, revoke a token. */
  actions?: Readonly<Record<string, AdminAction>>;
  /**
   * The bearer token `/admin/*` requires (root config `admin.token`, read at start-up).
   * @default none: every `/admin/*` request is refused 401, since anything on the host could send it
   */
  bearerToken?: string;
  /** The operator console (`/console`, src/runtime/console/operatorConsole.ts). */
  console?: OperatorConsole;
}

export interface AdminServer {
  /** e.g. http://127.0.0.1:9400 */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The operator's listener, apart from the BFF ports so metrics and topology are never reachable
 * from where clients connect (bind it to loopback or a private interface):
 *
 *   GET /metrics   Prometheus text format (prom-client): per-source breaker state, calls,
 *                  failures, retries, fallbacks, latency; plus the process' default metrics
 *   GET /sources   JSON: each source's breaker state
 *   GET /console   the operator console (live breakers, rates, latency, refusals, errors, fleet):
 *                  open on a loopback listener, else with the admin bearer token like /admin/*
 *   POST /admin/*  operations (src/runtime/adminActions.ts), with `Authorization: Bearer <admin.token>`
 *                  only: 401 with `WWW-Authenticate` otherwise, and always when no token is configured
 */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const registry = options.registry ?? defaultRegister;
  // Registered once per registry, whoever starts first; a second call would throw on duplicates.
  if (!registry.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register: registry });

  const expected = options.bearerToken === undefined ? undefined : digest(options.bearerToken);
  const authorized = (header: string | undefined) => {
    const match = /^Bearer ([^\s]+)$/i.exec(header ?? '');
    // Compared as digests, in constant time: neither the length nor a prefix leaks through timing.
    return expected !== undefined && match !== null && timingSafeEqual(digest(match[1]!), expected);
  };
  const loopback = ['127.0.0.1', '::1', 'localhost'].includes(options.host);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    // The single check point for the operator's routes: what can change the gateway (/admin/*),
    // and what shows its topology and callers (/console: open to the host itself only).
    const needsToken = path.startsWith('/admin/') || (isConsoleRoute(path) && !loopback);
    if (needsToken && !authorized(req.headers.authorization)) {
      const error = expected === undefined ? 'no admin token is configured (admin.token); /admin/* is off' : 'a valid admin bearer token is required';
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer realm="portico-admin"' }).end(JSON.stringify({ error }));
      req.resume();
      return;
    }
    const action = req.method === 'POST' && path !== undefined ? options.actions?.[path] : undefined;
    if (action) {
      void runAdminAction(action, req, res, options.logger);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/metrics') {
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: unknown) => {
          options.logger.error({ err: error }, 'metrics collection failed');
          res.writeHead(500).end();
        },
      );
      return;
    }
    if (options.console?.handle(req, res, path)) return;
    if (path === '/sources' && options.sources) {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(options.sources()));
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${options.host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        options.console?.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function isConsoleRoute(path: string): boolean {
  return path === '/console' || path.startsWith('/console/');
}
