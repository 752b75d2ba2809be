import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Server, Socket } from 'node:net';
import type { GraphQLSchema } from 'graphql';
import { YogaServer, type GraphiQLOptions } from 'graphql-yoga';
import { createServerAdapter } from '@whatwg-node/server';
import type { Logger } from 'pino';
import type { LoadedBff } from '../config/loadConfig.js';
import type { PipelinePlugin, RequestScope } from '../context/requestScope.js';
import type { PipelineEntry } from '../context/pipelineEntry.js';
import { createReadiness, type Readiness } from '../context/readiness.js';
import { pickRequestId } from './requestId.js';
import { ServerRequestScope } from './serverRequestScope.js';
import { withHttpLimits, type StreamedBodies } from './httpLimits.js';
import { maxUploadRequestBytes } from '../config/uploadsSchema.js';
import { createListener } from './createListener.js';
import { peerCertificateOf } from './peerCertificate.js';
import type { ConnectionCheck } from '../context/connectionCheck.js';
import { attachGraphQLWs } from './attachGraphQLWs.js';
import { createNodeYogaAdapter } from './nodeYogaAdapter.js';

export interface BffServerOptions extends BffApp {
  bff: LoadedBff;
  logger: Logger;
  /**
   * Turned off when a drain starts; the pipeline's `/readyz` reads the same object.
   * @default a readiness of the server's own (for servers without `/readyz`)
   */
  readiness?: Readiness;
  /**
   * GraphQL POSTs of JSON answered by running the pipeline's hooks on node's own request and
   * response (src/server/nodeYogaAdapter.ts); off, yoga's @whatwg-node handler answers them.
   * @default true
   */
  nodeAdapter?: boolean;
}

/** What a BFF serves: swapped as one piece by a hot reload. */
export interface BffApp {
  schema: GraphQLSchema;
  /** The request path, as src/pipeline/buildPipeline.ts orders it; the server adds nothing. */
  plugins: PipelinePlugin[];
  /** Bound to this app's yoga, for plugins that re-enter the pipeline (partner REST routes). */
  entry?: PipelineEntry;
  /** The GraphiQL page (src/pipeline/buildPipeline.ts); yoga's own when absent. */
  renderGraphiQL?: ((options?: GraphiQLOptions) => string) | undefined;
  /** Authenticates a WebSocket's `connection_init` payload (src/server/attachGraphQLWs.ts). @default none: every connection is accepted */
  connect?: ConnectionCheck | undefined;
}

export interface RunningBff {
  name: string;
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql */
  url: string;
  port: number;
  /**
   * Serves `next` from the next request on. Requests already accepted finish on the app they
   * started with; the promise resolves once the last of them has, so its resources can go.
   */
  swap(next: BffApp): Promise<void>;
  /** `/readyz` answers 503 from now on; requests are still served (the first step of a drain). */
  markUnready(): void;
  /** Requests being answered right now, across app generations. */
  inFlight(): number;
  /**
   * Marks the BFF unready, stops accepting connections, lets in-flight requests finish (up to
   * `graceMs`), then destroys what is left. Resolves with the drain's figures.
   */
  close(graceMs?: number): Promise<DrainReport>;
}

export interface DrainReport {
  /** Requests in flight when the listener closed. */
  inFlightAtClose: number;
  /** Of those, still unfinished at the deadline and cut off. 0 is the goal. */
  cutOff: number;
}

/** One app and the requests it is answering. */
interface Generation {
  app: BffApp;
  yoga: { dispose(): Promise<void> | void };
  handle: (req: IncomingMessage, res: ServerResponse, context: { portico: RequestScope }) => void;
  inFlight: number;
  idle?: (() => void) | undefined;
}

/** One BFF's HTTP edge: a node:http server in front of a yoga instance running the pipeline. */
export async function startBffServer(options: BffServerOptions): Promise<RunningBff> {
  const { bff, logger } = options;
  const readiness = options.readiness ?? createReadiness();
  let draining = false;
  const makeGeneration = (app: BffApp): Generation => {
    const { schema, plugins, entry, renderGraphiQL } = app;
    const server = new YogaServer<{ portico: RequestScope }, Record<string, never>>({
      schema,
      graphqlEndpoint: bff.path,
      healthCheckEndpoint: '/healthz',
      landingPage: false,
      graphiql: bff.production ? false : { title: `Portico · ${bff.name}` },
      ...(renderGraphiQL ? { renderGraphiQL } : {}),
      logging: false,
      // yoga's CORS reflects any origin, with credentials; the pipeline's useCors grants only the
      // BFF's `cors.origins`, and nothing when the BFF has no `cors`.
      cors: false,
      // A JSON array body; useQueryLimits refuses one over the limit with TOO_MANY_OPERATIONS first.
      batching: bff.limits.maxBatchedOperations > 1 ? { limit: bff.limits.maxBatchedOperations } : false,
      // withHttpLimits (below) already enforces `http.maxBodyBytes` on the raw request, declared
      // length and chunked alike. yoga's own limit would pipe every body through a TransformStream
      // again: a stream pipeline, an AbortController and a DOMException per request, ~3 % of the
      // CPU of a small query (bench/README.md).
      maxRequestBodySize: false,
      // The pipeline's own masking entry (useErrorMasking) is the one place errors are masked.
      maskedErrors: false,
      // The pipeline's useDocumentCache caches parsing and validation instead (it says why).
      parserAndValidationCache: false,
      plugins,
    });
    // createYoga's own two lines, kept apart: the node adapter below reads the server's hooks.
    const yoga = createServerAdapter<{ portico: RequestScope }, typeof server>(server, { fetchAPI: server.fetchAPI, plugins: server.getEnveloped._plugins as never });

    // Re-entry goes through yoga.fetch, the outer server: plugin hooks only ever see the inner
    // one, which skips onRequest/onResponse.
    entry?.bind(async (request, context) => yoga.fetch(request, context));
    // Everything the adapter does not take (other methods and media types, streams, uploads) it
    // hands to yoga's own handler; off, yoga's handler takes every request.
    const handle = options.nodeAdapter === false ? (req: IncomingMessage, res: ServerResponse, context: { portico: RequestScope }) => void yoga.handle(req, res, context) : createNodeYogaAdapter(server, yoga).handle;
    return { app, yoga, handle, inFlight: 0 };
  };
  // The node handler reads this on each request: a hot reload replaces it in one assignment.
  let current = makeGeneration(options);
  let inFlight = 0;
  // Only a listener that asks for client certificates has any to read.
  const readsCertificates = bff.tls?.clientCaFile !== undefined;

  // The request scope is created here, as yoga's server context, so it exists from the first
  // hook on (auth runs before parsing; authorization and cost run in validation, before the
  // GraphQL context is built).
  // Header size and both timeouts are node's to enforce; body size, header count and the
  // connection cap are checked by httpLimits.ts before a request reaches yoga.
  const listener = createListener(bff, withHttpLimits(bff.http, (req, res) => {
    const generation = current;
    generation.inFlight += 1;
    inFlight += 1;
    // From the moment it turns unready, every response closes its connection, so keep-alive
    // clients move to an instance that is staying instead of reusing a socket that is about to
    // go (a request written onto an idle socket as it closes is lost before it is read).
    // (HTTP/2 has no such header: its sessions get GOAWAY when the drain closes the listener.)
    if (!readiness.isReady() && req.httpVersionMajor < 2) res.setHeader('connection', 'close');
    const portico = new ServerRequestScope(pickRequestId(req.headers['x-request-id']), req.headers, readsCertificates ? peerCertificateOf(req) : undefined);
    // One listener, not one per concern: each `once` is a wrapper and a bound function more that
    // lives as long as the request (src/server/serverRequestScope.ts says why that matters).
    res.on('close', () => {
      if (!res.writableFinished) portico.cancel();
      generation.inFlight -= 1;
      inFlight -= 1;
      if (generation.inFlight === 0) generation.idle?.();
      if (draining) listener.closeIdle();
    });
    generation.handle(req, res, { portico });
  }, uploadBodies(bff)), logger);
  const { server } = listener;
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // GraphQL over WebSocket (graphql-transport-ws) on the same port and path; each operation
  // re-enters the current generation's pipeline.
  const ws = attachGraphQLWs(server, {
    path: bff.path,
    current: () => current.app,
    credentialKeys: ['authorization', ...(bff.auth.apiKeys.enabled ? [bff.auth.apiKeys.header] : [])],
    logger,
  });
  await listen(server, bff.port, bff.host);
  const port = (server.address() as AddressInfo).port;

  return {
    name: bff.name,
    port,
    url: `${listener.scheme}://${bff.host}:${port}${bff.path}`,
    swap(next) {
      const previous = current;
      current = makeGeneration(next);
      return new Promise<void>((resolve) => {
        const done = () => {
          previous.idle = undefined;
          void Promise.resolve()
            .then(() => previous.yoga.dispose())
            .catch((error: unknown) => logger.warn({ bff: bff.name, err: error }, 'disposing the previous app failed'));
          resolve();
        };
        if (previous.inFlight === 0) done();
        else previous.idle = done;
      });
    },
    markUnready: () => readiness.markUnready(),
    inFlight: () => inFlight,
    async close(graceMs = 10_000) {
      readiness.markUnready();
      draining = true;
      const inFlightAtClose = inFlight;
      let cutOff = 0;
      // Upgraded sockets hold server.close() open: the WebSockets go first (1001).
      ws.close();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      listener.closeIdle();
      const timer = setTimeout(() => {
        cutOff = inFlight;
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      timer.unref();
      await closed;
      clearTimeout(timer);
      listener.dispose();
      await current.yoga.dispose();
      return { inFlightAtClose, cutOff };
    },
  };
}

/** File uploads stream past the body limit, under their own (src/config/uploadsSchema.ts). */
function uploadBodies(bff: LoadedBff): StreamedBodies | undefined {
  if (!bff.uploads.enabled) return undefined;
  return {
    maxBytes: maxUploadRequestBytes(bff.uploads, bff.http.maxBodyBytes),
    details: { maxFileBytes: bff.uploads.maxFileBytes, maxFiles: bff.uploads.maxFiles },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}
