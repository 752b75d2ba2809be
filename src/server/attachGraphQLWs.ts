import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Server } from 'node:net';
import { GraphQLError, parse, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { CloseCode, GRAPHQL_TRANSPORT_WS_PROTOCOL, type SubscribePayload } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import type { Logger } from 'pino';
import type { PipelineEntry } from '../context/pipelineEntry.js';
import type { ConnectionCheck } from '../context/connectionCheck.js';
import type { RequestScope } from '../context/requestScope.js';
import { ANONYMOUS } from '../context/principal.js';
import { pickRequestId } from './requestId.js';
import { readEventStream } from './readEventStream.js';
import { releaseUpgradedSocket } from './clientTimeouts.js';

/** What the WebSocket endpoint needs from the app serving right now (a reload swaps it). */
export interface WsApp {
  schema: GraphQLSchema;
  entry?: PipelineEntry | undefined;
  connect?: ConnectionCheck | undefined;
}

export interface GraphQLWsOptions {
  /** The BFF's GraphQL path: WebSockets are accepted there and nowhere else. */
  path: string;
  /** The app of the current generation, read per connection and per operation. */
  current(): WsApp;
  /**
   * `connection_init` payload keys copied into the operation's request as headers, matched
   * without regard to case: the BFF's credential headers (`authorization`, its API key header).
   * Nothing else from the payload becomes a header, so a client cannot set the gateway's own.
   */
  credentialKeys: readonly string[];
  logger: Logger;
  /**
   * Ping interval of the protocol's own keep-alive (ws ping/pong; a client that misses a pong is
   * terminated). @default 12000: graphql-ws's own default, under the 30–60 s idle timeouts of
   * common load balancers.
   */
  keepAliveMs?: number;
  /**
   * How long an opened socket may take to send `connection_init` before it is closed with 4408.
   * @default 10000: graphql-ws's own 3 s closed sockets whose init had arrived but waited behind
   * a burst of thousands of connections opening at once (bench:subscriptions at 5,000 WebSockets;
   * every client reconnecting after a deploy looks the same), and each closed client reconnects
   * into the same burst. 10 s still frees a socket that never speaks.
   */
  connectionInitWaitTimeoutMs?: number;
}

export interface GraphQLWsEndpoint {
  /** Open WebSocket connections. */
  connections(): number;
  /** Closes every connection with 1001 (going away) and stops accepting new ones. */
  close(): void;
}

/**
 * The `graphql-transport-ws` subprotocol on a BFF's own listener (the graphql-ws library's server
 * does the protocol), each operation run through the BFF's whole pipeline as a GraphQL-over-SSE
 * request re-entering it (the way partner routes do): authentication, trusted documents, limits,
 * cost, rate limit and field authorization apply to an operation over a WebSocket exactly as to
 * one over HTTP, with no second copy of any of them here.
 *
 * Credentials come from the `connection_init` payload (browsers cannot set WebSocket headers) and
 * are checked when it arrives: bad ones close the socket with 4403 and the catalogue code
 * (UNAUTHENTICATED, AUTH_UNAVAILABLE) as the reason, before any operation. The same credentials
 * go with every operation, which the pipeline authenticates again (a revoked token is refused
 * from its next operation on).
 */
export function attachGraphQLWs(server: Server, options: GraphQLWsOptions): GraphQLWsEndpoint {
  const wss = new WebSocketServer({
    noServer: true,
    // The one subprotocol served; the legacy `graphql-ws` (subscriptions-transport-ws) is refused.
    handleProtocols: (protocols) => (protocols.has(GRAPHQL_TRANSPORT_WS_PROTOCOL) ? GRAPHQL_TRANSPORT_WS_PROTOCOL : false),
  });
  const keys = new Set(options.credentialKeys.map((key) => key.toLowerCase()));
  const credentialsOf = (params: Readonly<Record<string, unknown>> | undefined): Headers => {
    const headers = new Headers();
    for (const [key, value] of Object.entries(params ?? {})) {
      if (keys.has(key.toLowerCase()) && typeof value === 'string') headers.set(key.toLowerCase(), value);
    }
    return headers;
  };
  // graphql-ws wants a document it can name the operation type of; the real one travels to the
  // pipeline as sent, so a placeholder stands in (both execute and subscribe run the pipeline).
  const placeholder = parse('subscription { __typename }');
  type Outcome = { outcome: AsyncIterableIterator<ExecutionResult> };
  useServer(
    {
      connectionInitWaitTimeout: options.connectionInitWaitTimeoutMs ?? 10_000,
      async onConnect(ctx) {
        const check = options.current().connect;
        if (!check) return true;
        try {
          await check(credentialsOf(ctx.connectionParams));
          return true;
        } catch (error) {
          const code = String((error as GraphQLError).extensions?.code ?? 'INTERNAL_SERVER_ERROR');
          // 4403 is the protocol's "Forbidden"; the reason names the catalogue code.
          ctx.extra.socket.close(code === 'AUTH_UNAVAILABLE' ? 1013 : CloseCode.Forbidden, code);
          return false;
        }
      },
      // The pipeline runs here, so an operation it refuses before executing (401, 400, 429, …)
      // becomes the protocol's `error` message; one it executes streams as `next` messages.
      async onSubscribe(ctx, _id, payload) {
        const outcome = await run(payload, ctx.extra.request, credentialsOf(ctx.connectionParams));
        if (Array.isArray(outcome)) return outcome;
        const contextValue: Outcome = { outcome };
        return { schema: options.current().schema, document: placeholder, contextValue: contextValue as never };
      },
      // Results arrive as JSON already (errors formatted and masked by the pipeline): sent as they are.
      onNext: (_ctx, _id, _payload, _args, result) => result,
      execute: (args) => (args.contextValue as unknown as Outcome).outcome,
      subscribe: (args) => (args.contextValue as unknown as Outcome).outcome,
    },
    wss,
    options.keepAliveMs ?? 12_000,
  );

  async function run(payload: SubscribePayload, request: IncomingMessage, credentials: Headers): Promise<GraphQLError[] | AsyncIterableIterator<ExecutionResult>> {
    const entry = options.current().entry;
    if (!entry) return [new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })];
    const abort = new AbortController();
    const headers = new Headers(credentials);
    headers.set('content-type', 'application/json');
    headers.set('accept', 'text/event-stream');
    const scope: RequestScope = {
      requestId: pickRequestId(request.headers['x-request-id']),
      principal: ANONYMOUS,
      upstreamHeaders: {},
      signal: abort.signal,
    };
    // `req` is the upgrade request: the rate limiter keys anonymous callers by its peer address.
    const serverContext = { portico: scope, req: request };
    const response = await entry.fetch(
      new Request(`http://portico.internal${options.path}`, { method: 'POST', headers, body: JSON.stringify(payload) }),
      serverContext,
    );
    const stream = (response.headers.get('content-type') ?? '').startsWith('text/event-stream') && response.body !== null;
    if (stream && response.ok) return readEventStream(response.body!, () => abort.abort());
    // Refused before execution (401, 400, 429, …): yoga answers with the errors as one result,
    // in JSON or as an event stream's first event.
    let errors: readonly { message: string; extensions?: Record<string, unknown> }[] | undefined;
    try {
      errors = stream ? (await readEventStream(response.body!, () => undefined).next()).value?.errors : ((await response.json()) as ExecutionResult).errors;
    } catch {
      errors = undefined;
    }
    abort.abort();
    if (!errors?.length) errors = [{ message: 'Unexpected error.', extensions: { code: 'INTERNAL_SERVER_ERROR' } }];
    return errors.map((error) => new GraphQLError(error.message, error.extensions ? { extensions: error.extensions } : {}));
  }

  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path !== options.path) {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    releaseUpgradedSocket(socket);
    wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
  };
  server.on('upgrade', onUpgrade);
  wss.on('error', (error) => options.logger.warn({ err: error }, 'websocket server error'));

  return {
    connections: () => wss.clients.size,
    close() {
      server.off('upgrade', onUpgrade);
      for (const client of wss.clients) client.close(1001, 'going away');
      wss.close();
    },
  };
}
