import { setMaxListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { GraphQLSchema } from 'graphql';
import { createYoga, type Plugin } from 'graphql-yoga';
import type { Logger } from 'pino';
import type { LoadedBff } from '../config/loadConfig.js';
import { createErrorMasker } from '../plugins/response/maskError.js';
import type { RequestScope } from '../context/requestScope.js';
import { ANONYMOUS } from '../context/principal.js';
import { pickRequestId } from './requestId.js';
import { useHealthEndpoints } from './useHealthEndpoints.js';

export interface BffServerOptions {
  bff: LoadedBff;
  schema: GraphQLSchema;
  plugins: Plugin[];
  logger: Logger;
}

export interface RunningBff {
  name: string;
  /** The GraphQL endpoint, e.g. http://127.0.0.1:4000/graphql */
  url: string;
  port: number;
  /** Stops accepting, lets in-flight requests finish (up to `graceMs`), then closes sockets. */
  close(graceMs?: number): Promise<void>;
}

/** One BFF's HTTP edge: a node:http server in front of a yoga instance running the pipeline. */
export async function startBffServer(options: BffServerOptions): Promise<RunningBff> {
  const { bff, schema, plugins, logger } = options;
  let ready = true;
  const yoga = createYoga<{ portico: RequestScope }>({
    schema,
    graphqlEndpoint: bff.path,
    healthCheckEndpoint: '/healthz',
    landingPage: false,
    graphiql: bff.production ? false : { title: `Portico · ${bff.name}` },
    logging: false,
    maskedErrors: {
      maskError: createErrorMasker({
        onMasked: (error) => logger.error({ bff: bff.name, err: error }, 'masked error'),
      }),
    },
    plugins: [useHealthEndpoints({ isReady: () => ready }), ...plugins],
  });

  // The request scope is created here, as yoga's server context, so it exists from the first
  // hook on (auth runs before parsing; authorization and cost run in validation, before the
  // GraphQL context is built).
  const server = createServer((req, res) => {
    const abort = new AbortController();
    // Every upstream call of the request listens on this signal; a page of items is many calls.
    setMaxListeners(0, abort.signal);
    res.once('close', () => {
      if (!res.writableFinished) abort.abort();
    });
    const portico: RequestScope = {
      requestId: pickRequestId(req.headers['x-request-id']),
      principal: ANONYMOUS,
      upstreamHeaders: {},
      signal: abort.signal,
    };
    void yoga.handle(req, res, { portico });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await listen(server, bff.port, bff.host);
  const port = (server.address() as AddressInfo).port;

  return {
    name: bff.name,
    port,
    url: `http://${bff.host}:${port}${bff.path}`,
    async close(graceMs = 10_000) {
      ready = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      timer.unref();
      await closed;
      clearTimeout(timer);
    },
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
