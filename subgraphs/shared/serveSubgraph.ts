import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { failsAt, faultKnobsFromEnv, faultPatchSchema, type FaultKnobs } from './faults.js';
import { RequestLog } from './requestLog.js';
import { z } from 'zod';

/** Body of `POST /__admin/response-headers`: lower-case names to values, replacing the previous set. */
const responseHeadersSchema = z.record(z.string().regex(/^[a-z0-9-]+$/), z.string().regex(/^[^\r\n]*$/));

/** What one demo service contributes; `serveSubgraph` adds the HTTP server, faults and admin API. */
export interface SubgraphApp {
  kind: 'graphql' | 'rest';
  /** Path appended to the base URL to form the advertised `url`: `/graphql`, or `''` for REST. */
  endpointPath: string;
  /** Stats key for a request, e.g. `GET /products/:id`; unmatched requests count as `GET *`. */
  route(method: string, url: URL): string;
  handle(request: Request): Promise<Response>;
  /** What `/__admin/requests` records as `body`; GraphQL services record operationName/query. */
  describeBody?(method: string, url: URL, body: Buffer): unknown;
  /** Restores seed data (`POST /__admin/reset`). */
  resetData(): void;
  /**
   * Answers a `multipart/form-data` request (a GraphQL file upload) from the socket, streaming,
   * instead of from a body read whole first. Absent: such a request is handled like any other.
   */
  handleUpload?(req: IncomingMessage): Promise<Response>;
}

export interface SubgraphOptions {
  /** @default 0 (a free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Knobs the service starts with and returns to on reset. @default read from FAULT_* env vars */
  faults?: Partial<FaultKnobs>;
}

export interface RunningSubgraph {
  name: string;
  /** The GraphQL endpoint for GraphQL services, the base URL for REST ones. */
  url: string;
  /** `http://host:port`, where `/__admin/*` lives. */
  baseUrl: string;
  port: number;
  close(): Promise<void>;
}

const ADMIN_PREFIX = '/__admin/';

export async function serveSubgraph(
  name: string,
  app: SubgraphApp,
  options: SubgraphOptions = {},
): Promise<RunningSubgraph> {
  const host = options.host ?? '127.0.0.1';
  const defaults: FaultKnobs = { ...faultKnobsFromEnv(process.env), ...options.faults };
  let knobs: FaultKnobs = { ...defaults };
  // Position in the errorRate sequence; restarts whenever errorRate is set, so a test that sets
  // 0.5 knows its own 2nd request fails regardless of traffic before.
  let faultSequence = 0;
  // Extra headers on every answer (`POST /__admin/response-headers`), so tests can play a source
  // that sends Cache-Control or its own headers back; cleared by reset.
  let extraHeaders: Record<string, string> = {};
  const log = new RequestLog();
  const closing = new AbortController();
  // Hanging requests wait on this; it is replaced after each knob change so they re-check.
  let knobsChanged = signal();
  const notifyKnobsChanged = () => {
    knobsChanged.fire();
    knobsChanged = signal();
  };

  const server = createServer((req, res) => {
    onRequest(req, res).catch((error: unknown) => {
      console.error(`[${name}] request failed`, error);
      if (!res.headersSent && !res.destroyed) sendJson(res, 500, { error: 'internal' });
      else res.destroy();
    });
  });

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', baseUrl);
    if (app.handleUpload && method === 'POST' && /^multipart\/form-data\b/i.test(req.headers['content-type'] ?? '')) {
      const end = log.begin({ method, path: req.url ?? '/', route: app.route(method, url), headers: req.headers });
      res.once('close', end);
      await send(res, await app.handleUpload(req));
      return;
    }
    const body = await readBody(req);

    if (url.pathname.startsWith(ADMIN_PREFIX)) {
      handleAdmin(method, url.pathname, body, res);
      return;
    }

    const route = app.route(method, url);
    const described = app.describeBody?.(method, url, body);
    const end = log.begin({
      method,
      path: req.url ?? '/',
      route,
      headers: req.headers,
      ...(described === undefined ? {} : { body: described }),
    });
    // A flag rather than res.destroyed, which node does not set when the client hangs up.
    let gone = false;
    const clientGone = new Promise<void>((resolve) =>
      res.once('close', () => {
        gone = true;
        end();
        resolve();
      }),
    );
    // Decided on arrival, so the failing requests follow arrival order even when latency lets a
    // later request finish first.
    faultSequence += 1;
    const injectError = failsAt(faultSequence, knobs.errorRate);

    while (knobs.hang && !knobs.down && !closing.signal.aborted) {
      await Promise.race([knobsChanged.promise, clientGone]);
      if (gone) return;
    }
    if (knobs.latencyMs > 0) {
      await delay(knobs.latencyMs, undefined, { signal: closing.signal }).catch(() => undefined);
    }
    if (gone) return;
    if (knobs.down || closing.signal.aborted) {
      // No status line at all: the client sees the connection reset, as from a crashed process.
      req.socket.destroy();
      return;
    }
    if (injectError) {
      sendJson(res, 500, app.kind === 'graphql'
        ? { errors: [{ message: `${name}: injected fault (errorRate)`, extensions: { code: 'INJECTED_FAULT' } }] }
        : { error: 'injected_fault' });
      return;
    }
    if (knobs.invalidJson) {
      const truncated = '{"data":{"truncated';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(truncated) });
      res.end(truncated);
      return;
    }

    const response = await app.handle(toFetchRequest(req, url, method, body));
    if (isStream(response)) {
      log.openStreams += 1;
      await streamResponse(response, res, clientGone).finally(() => (log.openStreams -= 1));
      return;
    }
    if (gone) return;
    await send(res, response, extraHeaders);
  }

  function handleAdmin(method: string, pathname: string, body: Buffer, res: ServerResponse): void {
    const endpoint = `${method} ${pathname.slice(ADMIN_PREFIX.length - 1)}`;
    switch (endpoint) {
      case 'GET /stats':
        return sendJson(res, 200, log.stats());
      case 'GET /requests':
        return sendJson(res, 200, log.recentRequests());
      case 'GET /faults':
        return sendJson(res, 200, knobs);
      case 'POST /faults': {
        const parsed = parseAdminBody(body, faultPatchSchema, 'invalid_faults', res);
        if (!parsed) return;
        const patch = Object.fromEntries(Object.entries(parsed.data).filter(([, v]) => v !== undefined));
        knobs = { ...knobs, ...patch };
        if (parsed.data.errorRate !== undefined) faultSequence = 0;
        notifyKnobsChanged();
        return sendJson(res, 200, knobs);
      }
      case 'POST /response-headers': {
        const parsed = parseAdminBody(body, responseHeadersSchema, 'invalid_headers', res);
        if (!parsed) return;
        extraHeaders = parsed.data;
        return sendJson(res, 200, extraHeaders);
      }
      case 'POST /reset':
        extraHeaders = {};
        knobs = { ...defaults };
        faultSequence = 0;
        log.reset();
        app.resetData();
        notifyKnobsChanged();
        return sendJson(res, 200, knobs);
      default:
        return sendJson(res, 404, { error: 'not_found' });
    }
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const baseUrl = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  let closed: Promise<void> | undefined;
  return {
    name,
    url: `${baseUrl}${app.endpointPath}`,
    baseUrl,
    port,
    close() {
      closed ??= new Promise<void>((resolve, reject) => {
        // Wake hanging and delayed requests so they drop their sockets instead of holding close().
        closing.abort();
        notifyKnobsChanged();
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      });
      return closed;
    },
  };
}

/** A one-shot wake-up (Promise.withResolvers arrived in Node 22; we run on 20). */
function signal(): { promise: Promise<void>; fire(): void } {
  let fire!: () => void;
  const promise = new Promise<void>((resolve) => {
    fire = resolve;
  });
  return { promise, fire };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function toFetchRequest(req: IncomingMessage, url: URL, method: string, body: Buffer): Request {
  const headers = new Headers();
  for (const [key, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) headers.append(key, item);
    else headers.set(key, value);
  }
  const hasBody = method !== 'GET' && method !== 'HEAD' && body.length > 0;
  // The copy types as Uint8Array<ArrayBuffer>, which BodyInit accepts and a pooled Buffer is not.
  return new Request(url, { method, headers, ...(hasBody ? { body: new Uint8Array(body) } : {}) });
}

/** An event stream (a subscription over SSE) is relayed as it comes, not buffered to its end. */
function isStream(response: Response): boolean {
  return (response.headers.get('content-type') ?? '').startsWith('text/event-stream') && response.body !== null;
}

async function streamResponse(response: Response, res: ServerResponse, clientGone: Promise<void>): Promise<void> {
  res.writeHead(response.status, headersOf(response));
  res.flushHeaders();
  const reader = response.body!.getReader();
  // The client hanging up ends the stream, and with it the subscription's source iterator.
  // (A pending read is not always ended by the cancel, so the loop watches the client too.)
  const gone = clientGone.then(() => {
    void reader.cancel().catch(() => undefined);
    return { done: true as const, value: undefined };
  });
  for (;;) {
    const { done, value } = await Promise.race([reader.read(), gone]).catch(() => ({ done: true as const, value: undefined }));
    if (done) break;
    res.write(value);
  }
  res.end();
}

/** Sends a buffered answer; `extra` are the response headers a test set (POST /__admin/response-headers). */
async function send(res: ServerResponse, response: Response, extra: Record<string, string> = {}): Promise<void> {
  const payload = Buffer.from(await response.arrayBuffer());
  const headers = { ...headersOf(response), ...extra };
  headers['content-length'] = String(payload.byteLength);
  res.writeHead(response.status, headers);
  res.end(payload);
}

function headersOf(response: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  return headers;
}

/** An admin request's JSON body checked by `schema`; answers 400 itself (and returns undefined) when it is not. */
function parseAdminBody<T>(body: Buffer, schema: z.ZodType<T>, invalid: string, res: ServerResponse): { data: T } | undefined {
  let json: unknown;
  try {
    json = body.length === 0 ? {} : JSON.parse(body.toString('utf8'));
  } catch {
    sendJson(res, 400, { error: 'invalid_json' });
    return undefined;
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    sendJson(res, 400, { error: invalid, issues: parsed.error.issues });
    return undefined;
  }
  return { data: parsed.data };
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  const text = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
