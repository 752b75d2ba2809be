import { createServer, type IncomingMessage } from 'node:http';
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
  /** The operator console (`/console`, src/runtime/console/operatorConsole.ts). */
  console?: OperatorConsole;
  /**
   * The one check every operator route passes (`/admin/*` and `/console*`): false answers 401.
   * @default every request: the listener has no credentials of its own and is bound to loopback
   * or a private interface
   */
  authorize?: (req: IncomingMessage) => boolean;
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
 *   GET /console   the operator console (live breakers, rates, latency, refusals, errors, fleet)
 *   POST /admin/*  operations (src/runtime/adminActions.ts)
 */
export async function startAdminServer(options: AdminServerOptions): Promise<AdminServer> {
  const registry = options.registry ?? defaultRegister;
  // Registered once per registry, whoever starts first; a second call would throw on duplicates.
  if (!registry.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics({ register: registry });

  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    // The single check point for the operator's routes: what can change the gateway (/admin/*)
    // and what shows its topology and callers (/console).
    if (isOperatorRoute(path) && options.authorize && !options.authorize(req)) {
      res.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not authorized' }));
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

function isOperatorRoute(path: string): boolean {
  return path.startsWith('/admin/') || path === '/console' || path.startsWith('/console/');
}
