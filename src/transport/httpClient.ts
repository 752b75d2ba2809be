import { Agent, errors as undiciErrors, type Dispatcher } from 'undici';
import { porticoError } from '../errors/index.js';

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
}

export interface UpstreamRequest {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  signal?: AbortSignal | undefined;
  /** Name of the source, for errors and logs (never shown to clients with the URL). */
  source: string;
}

export interface UpstreamResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export type HttpCall = (request: UpstreamRequest) => Promise<UpstreamResponse>;

export interface HttpClient {
  call: HttpCall;
  close(): Promise<void>;
}

/**
 * One keep-alive connection pool per upstream origin (undici Agent), shared by every BFF that
 * uses the origin. Errors come back as coded GraphQL errors: the message never names the host.
 */
export function createHttpClient(options: HttpClientOptions = {}): HttpClient {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const agent = new Agent({
    connections: options.connections ?? 64,
    keepAliveTimeout: options.keepAliveTimeoutMs ?? 4_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });

  async function call(request: UpstreamRequest): Promise<UpstreamResponse> {
    const dispatchOptions: Dispatcher.RequestOptions = {
      method: request.method,
      path: '',
      origin: '',
      headers: request.headers ?? {},
      body: request.body ?? null,
      signal: request.signal ?? AbortSignal.timeout(timeoutMs),
    };
    const url = new URL(request.url);
    dispatchOptions.origin = url.origin;
    dispatchOptions.path = url.pathname + url.search;
    try {
      const response = await agent.request(dispatchOptions);
      const body = await response.body.text();
      return { status: response.statusCode, headers: response.headers, body };
    } catch (error) {
      throw toUpstreamError(error, request.source);
    }
  }

  return { call, close: () => agent.close() };
}

function toUpstreamError(error: unknown, source: string) {
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
