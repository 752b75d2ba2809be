import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
import { porticoError } from '../errors/index.js';
import { watchAttempt } from './watchAttempt.js';
import type { HttpCall, UpstreamRequest, UpstreamResponse } from './upstreamCall.js';
import { createInFlight, inFlightHeadKey } from './inFlightDedup.js';
import { createSourceAgents, type PoolOptions, type PooledSource } from './sourceAgents.js';
import { createUrlTargets } from './urlTargets.js';

// The call's types live beside it, in upstreamCall.ts; every decorator imports them from here.
export type { HttpCall, UpstreamRequest, UpstreamResponse } from './upstreamCall.js';

export interface HttpClientOptions {
  /**
   * Sockets kept per upstream origin. Requests beyond this queue in the pool rather than opening
   * more sockets, which bounds what one gateway can do to a struggling upstream.
   * @default 64
   */
  connections?: number;
  /**
   * Idle keep-alive sockets are closed after this long. Slightly below the usual 5 s server-side
   * keep-alive timeout of Node servers, so we never write to a socket the upstream is closing.
   * @default 4000
   */
  keepAliveTimeoutMs?: number;
  /**
   * Upper bound for one upstream call when the request carries no tighter deadline.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * Identical reads in flight at the same moment share one exchange (src/transport/inFlightDedup.ts):
   * the key is the whole request, identity headers included, so two callers who could get
   * different answers never share one.
   * @default true: under load many requests ask a subgraph the same thing at once (every page
   * view of a catalogue); one exchange instead of many is the largest saving a gateway can make.
   * `startPortico` turns the sharing of whole calls through each source's chain
   * (src/transport/withSharedCalls.ts) off with it, so `portico serve --no-dedup` shares nothing.
   */
  dedupeInFlight?: boolean;
}

export interface HttpClient {
  call: HttpCall;
  /**
   * Gives the sources with `tls` (a CA bundle, a client certificate, HTTP/2) pools of their own
   * (src/transport/sourceAgents.ts); the others share the default pool. Called at start and on
   * every reload with the registry then in force.
   */
  useSources(sources: Readonly<Record<string, PooledSource>>): void;
  close(): Promise<void>;
}

/**
 * One keep-alive connection pool per upstream origin (undici Agent), shared by every BFF that
 * uses the origin; a source with `tls` has an Agent of its own (`useSources`). Errors come back
 * as coded GraphQL errors: the message never names the host.
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const pool: PoolOptions = {
    connections: options.connections ?? 64,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  };
  const agent = new Agent(pool);
  const sourceAgents = createSourceAgents(pool);

  const dedupe = options.dedupeInFlight ?? true;
  const inFlight = createInFlight<UpstreamResponse>();
  const targetOf = createUrlTargets(10_000);

  async function exchange(dispatcher: Dispatcher, dispatchOptions: Dispatcher.RequestOptions): Promise<UpstreamResponse> {
    const response = await dispatcher.request(dispatchOptions);
    const body = await response.body.text();
    return { status: response.statusCode, headers: response.headers, body };
  }

  async function call(request: UpstreamRequest): Promise<UpstreamResponse> {
    // Tracing and the access log watch each attempt (src/context/upstreamObserver.ts).
    const watch = watchAttempt(request);
    const { origin, path } = targetOf(request.url);
    const signal = request.signal ?? AbortSignal.timeout(timeoutMs);
    const dispatcher = sourceAgents.agentFor(request.source) ?? agent;
    const dispatchOptions: Dispatcher.RequestOptions = {
      method: request.method,
      path,
      origin,
      headers: watch?.headers ? { ...request.headers, ...watch.headers } : (request.headers ?? {}),
      body: request.streamedBody ?? request.body ?? null,
      signal,
    };
    try {
      // The key is taken from the caller's headers, not the observers' (per-attempt tracing).
      const response =
        dedupe && request.idempotent
          ? await inFlight.run(request.body ?? '', inFlightHeadKey(request.method, request.url, request.headers), signal, (shared) =>
              exchange(dispatcher, { ...dispatchOptions, signal: shared }),
            )
          : await exchange(dispatcher, dispatchOptions);
      watch?.end({ status: response.status });
      return response;
    } catch (error) {
      const failure = toUpstreamError(error, request.source);
      watch?.end({ errorCode: String(failure.extensions.code) });
      throw failure;
    }
  }

  return {
    call,
    useSources: (sources) => sourceAgents.use(sources),
    close: async () => {
      await Promise.all([agent.close(), sourceAgents.close()]);
    },
  };
}

/** A failure of the exchange (or the caller's signal's reason) as a coded error naming only the source. */
export function toUpstreamError(error: unknown, source: string) {
  const cause = error instanceof Error ? error : new Error(String(error));
  const details = { source };
  if (
    cause instanceof undiciErrors.HeadersTimeoutError ||
    cause instanceof undiciErrors.BodyTimeoutError ||
    cause.name === 'TimeoutError'
  ) {
    return porticoError('SUBGRAPH_TIMEOUT', { details, originalError: cause });
  }
  return porticoError('SUBGRAPH_UNAVAILABLE', { details, originalError: cause });
}
