import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ExecutionResult } from 'graphql';
import type { GraphQLParams, Plugin, YogaServer } from 'graphql-yoga';
import { sendNodeResponse } from '@whatwg-node/server';
import { errorBody } from './rawAnswer.js';
import { readRequestBody } from './readRequestBody.js';
import { createEnvelopPhases, graphQLErrorsOf, isPromise } from './envelopPhases.js';

/**
 * Runs a yoga app's hook contract on node:http's own request and response, for the requests that
 * make up nearly all of a BFF's traffic: a `POST` of JSON to the GraphQL path, answered as JSON.
 *
 * Why: yoga serves node through @whatwg-node's adapter, which turns every request into a fetch
 * `Request` (an `AbortController`, three listeners on the response, a URL string, a body stream)
 * and runs each phase's hooks through promise-helper chains (a closure and a fake promise per hook
 * per phase), whether or not any hook is asynchronous. Under the single-subgraph benchmark that
 * plumbing, not the pipeline's plugins, was most of a request's CPU (bench/README.md, issue 17).
 *
 * What stays the same: the hooks are the pipeline's (src/pipeline/buildPipeline.ts) and yoga's own,
 * collected from the one envelop instance yoga built, in its order, called with the payloads yoga
 * and @whatwg-node give them (onRequest → onRequestParse → parser → onRequestParseDone → onParams →
 * the params handler's parse, validate, context and execute, with envelop's hooks run the same way
 * by envelopPhases.ts → onExecutionResult →
 * onResultProcess → result processor → onResponse). A hook that returns a promise is awaited; one
 * that does not costs a call. Anything else — other methods, media types, event streams,
 * multipart, an instrumented (traced) app — goes to yoga's own handler unchanged.
 */
export interface NodeYogaAdapter {
  /** Answers `req` on `res`; `context` is the server context yoga would get (`{ portico }`). */
  handle(req: IncomingMessage, res: ServerResponse, context: Record<string, unknown>): void;
}

type AnyPlugin = Plugin<Record<string, unknown>, Record<string, unknown>, Record<string, unknown>>;
type HookName = 'onRequest' | 'onRequestParse' | 'onParams' | 'onExecutionResult' | 'onResultProcess' | 'onResponse';
type Hook<K extends HookName> = NonNullable<AnyPlugin[K]>;
type Awaitable<T> = T | Promise<T>;

/** What the adapter needs of @whatwg-node's server adapter around the yoga server. */
export interface YogaServerAdapter {
  /** yoga's own node handler, for every request the adapter does not take. */
  handle(req: IncomingMessage, res: ServerResponse, context: Record<string, unknown>): unknown;
  /** Keeps background work (hooks' `waitUntil`) alive until the server is disposed. */
  waitUntil(promise: Promise<void> | void): void;
}

export function createNodeYogaAdapter<S extends Record<string, unknown>, U extends Record<string, unknown>>(server: YogaServer<S, U>, yoga: YogaServerAdapter): NodeYogaAdapter {
  const plugins = server.getEnveloped._plugins as AnyPlugin[];
  const instrumented = plugins.some((plugin) => Boolean(plugin?.instrumentation));
  // Each phase's hooks, in the order yoga and @whatwg-node call them: the plugin list's.
  const hooksOf = <K extends HookName>(name: K) => plugins.flatMap((plugin) => (plugin?.[name] ? [plugin[name] as Hook<K>] : []));
  const hooks = {
    request: hooksOf('onRequest'),
    requestParse: hooksOf('onRequestParse'),
    params: hooksOf('onParams'),
    executionResult: hooksOf('onExecutionResult'),
    resultProcess: hooksOf('onResultProcess'),
    response: hooksOf('onResponse'),
  };
  // The hooks and yoga's result processors build their responses through this: one with a text
  // body is a DirectResponse, written to the socket without a fetch Response behind it.
  const fetchAPI = { ...server.fetchAPI, Response: directResponseClass(server.fetchAPI) };
  const endpoint = server.graphqlEndpoint;
  const fallback = (req: IncomingMessage, res: ServerResponse, context: Record<string, unknown>) => void yoga.handle(req, res, context);
  const waitUntil = yoga.waitUntil.bind(yoga);
  // Traced apps keep yoga's own path: instrumentation wraps its phases in spans (useTracing).
  if (instrumented) return { handle: fallback };

  const phases = createEnvelopPhases(server);
  const paramsHandler = server.handleParams as unknown as (payload: { request: Request; params: GraphQLParams; context: Record<string, unknown> }) => Awaitable<Result>;

  // Each phase builds one payload for all its hooks (yoga builds one per hook): the hooks of a
  // phase see the same values and setters, updated as each hook changes them.
  const resultForParams = async (params: GraphQLParams, request: Request, context: Record<string, unknown>): Promise<Result> => {
    let result: Result | undefined;
    const onParams = {
      params,
      request,
      paramsHandler,
      setParams(next: GraphQLParams) {
        onParams.params = next;
      },
      setParamsHandler(next: typeof paramsHandler) {
        onParams.paramsHandler = next;
      },
      setResult(next: Result) {
        result = next;
      },
      fetchAPI,
      context,
    };
    const paramsDone = runHooks(hooks.params, onParams);
    if (paramsDone) await paramsDone;
    if (result === undefined) {
      // yoga's own handler, unless a hook replaced it: its phases run in the adapter's loops.
      const handled = (onParams.paramsHandler === paramsHandler && phases(request, onParams.params, context)) || onParams.paramsHandler({ request, params: onParams.params, context });
      result = isPromise(handled) ? await handled : handled;
    }
    if (hooks.executionResult.length > 0) {
      const onExecutionResult = {
        result,
        setResult(next: Result) {
          onExecutionResult.result = next;
        },
        request,
        context,
      };
      const done = runHooks(hooks.executionResult, onExecutionResult);
      if (done) await done;
      result = onExecutionResult.result;
    }
    return result;
  };

  // Not async: with no hook waiting, the response is made without a promise or an async frame
  // for it, and handleGraphQL awaits only a processor that returns one.
  const processResult = (request: Request, result: Result | Result[], serverContext: Record<string, unknown>): Response | Promise<Response> => {
    const onResultProcess = {
      request,
      acceptableMediaTypes: [] as string[],
      result,
      setResult(next: Result | Result[]) {
        onResultProcess.result = next;
      },
      resultProcessor: undefined as ResultProcessor | undefined,
      mediaType: '*/*',
      setResultProcessor(next: ResultProcessor | undefined, type: string) {
        onResultProcess.resultProcessor = next;
        onResultProcess.mediaType = type;
      },
      serverContext,
    };
    const done = runHooks(hooks.resultProcess, onResultProcess);
    return done ? done.then(() => respond(onResultProcess)) : respond(onResultProcess);
  };
  const respond = (payload: { acceptableMediaTypes: string[]; result: Result | Result[]; resultProcessor: ResultProcessor | undefined; mediaType: string }): Response | Promise<Response> => {
    const processor = payload.resultProcessor;
    if (processor === undefined) {
      return new fetchAPI.Response(null, { status: 406, statusText: 'Not Acceptable', headers: { accept: payload.acceptableMediaTypes.join('; charset=utf-8, ') } });
    }
    return processor(payload.result, fetchAPI, payload.mediaType) as Response | Promise<Response>;
  };

  // yoga's `handle` for the request, after the server adapter's onRequest hooks.
  const handleGraphQL = async (request: Request, serverContext: Record<string, unknown>, url: URL): Promise<Response> => {
    try {
      let ended = false;
      const parseDone: ((payload: never) => Awaitable<void>)[] = [];
      const onRequestParse = {
        request,
        url,
        requestParser: undefined as RequestParser | undefined,
        serverContext,
        setRequestParser(next: RequestParser | undefined) {
          onRequestParse.requestParser = next;
        },
        early: undefined as Response | undefined,
        endResponse(response: Response) {
          onRequestParse.early = response;
          ended = true;
        },
        fetchAPI,
      };
      for (const hook of hooks.requestParse) {
        let done = hook(onRequestParse as never);
        if (isPromise(done)) done = await done;
        if (done?.onRequestParseDone) parseDone.push(done.onRequestParseDone as never);
        if (ended) break;
      }
      if (onRequestParse.early) return onRequestParse.early;
      const parser = onRequestParse.requestParser;
      if (parser === undefined) return new fetchAPI.Response(null, { status: 415, statusText: 'Unsupported Media Type' });
      const parsed = parser(request);
      let params = isPromise(parsed) ? await parsed : parsed;
      if (isResponseLike(params)) return params;
      if (parseDone.length > 0) {
        const onParseDone = {
          requestParserResult: params,
          setRequestParserResult(next: GraphQLParams | GraphQLParams[]) {
            onParseDone.requestParserResult = next;
          },
        };
        const done = runHooks(parseDone, onParseDone);
        if (done) await done;
        params = onParseDone.requestParserResult;
      }
      const result = Array.isArray(params)
        ? await Promise.all(params.map((one) => resultForParams(one, request, Object.create(serverContext) as Record<string, unknown>).catch((error: unknown) => ({ errors: graphQLErrorsOf(error) }))))
        : await resultForParams(params, request, serverContext);
      const processed = processResult(request, result, serverContext);
      return isPromise(processed) ? await processed : processed;
    } catch (error) {
      return processResult(request, { errors: graphQLErrorsOf(error) }, serverContext);
    }
  };

  const serve = async (req: IncomingMessage, res: ServerResponse, serverContext: Record<string, unknown>): Promise<void> => {
    serverContext['req'] = req;
    serverContext['res'] = res;
    serverContext['waitUntil'] = waitUntil;
    const url = new EndpointUrl(`${(req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}${endpoint}`, endpoint) as unknown as URL;
    let ended = false;
    const onRequest = {
      request: new NodeRequestView(req, url.href, fetchAPI.Headers, serverContext['portico'] as { signal?: AbortSignal } | undefined) as unknown as Request,
      setRequest(next: Request) {
        onRequest.request = next;
      },
      serverContext,
      fetchAPI,
      url,
      requestHandler: handleGraphQL as RequestHandler,
      setRequestHandler(next: RequestHandler) {
        onRequest.requestHandler = next;
      },
      response: undefined as Response | undefined,
      endResponse(next: Response | undefined) {
        onRequest.response = next;
        if (next) ended = true;
      },
    };
    let response: Response;
    try {
      for (const hook of hooks.request) {
        const done = hook(onRequest as never);
        if (isPromise(done)) await done;
        if (ended) break;
      }
      const request = onRequest.request;
      response = onRequest.response ?? (await onRequest.requestHandler(request, serverContext, url));
      if (hooks.response.length > 0) {
        const onResponse = {
          request,
          response,
          serverContext,
          setResponse(next: Response) {
            onResponse.response = next;
          },
          fetchAPI,
        };
        const done = runHooks(hooks.response, onResponse);
        if (done) await done;
        response = onResponse.response;
      }
    } catch {
      response = new fetchAPI.Response(errorBody('INTERNAL_SERVER_ERROR'), { status: 500, headers: { 'content-type': 'application/json; charset=utf-8' } });
    }
    const sent = send(response, res, req);
    if (isPromise(sent)) await sent;
  };

  return {
    handle(req, res, context) {
      if (!takesDirectPath(req, endpoint)) return fallback(req, res, context);
      serve(req, res, context).catch(() => {
        if (!res.headersSent) res.statusCode = 500;
        res.end();
      });
    },
  };
}

type Result = ExecutionResult | AsyncIterable<ExecutionResult>;
type ResultProcessor = (result: Result | Result[], api: unknown, mediaType: string) => Awaitable<Response>;
type RequestParser = (request: Request) => Awaitable<GraphQLParams | GraphQLParams[] | Response>;
type RequestHandler = (request: Request, serverContext: Record<string, unknown>, url: URL) => Promise<Response>;

/** POST of JSON to the GraphQL path, no query string, answered as JSON: nearly every request. */
function takesDirectPath(req: IncomingMessage, endpoint: string): boolean {
  if (req.method !== 'POST' || req.url !== endpoint || req.httpVersionMajor !== 1) return false;
  const type = req.headers['content-type'];
  if (type === undefined || !(type.startsWith('application/json') || type.startsWith('application/graphql+json'))) return false;
  const accept = req.headers.accept;
  return accept === undefined || !(accept.includes('event-stream') || accept.includes('multipart'));
}

/**
 * Calls each hook with `payload`, in order, waiting for one that returns a promise before the
 * next. Returns a promise only if some hook returned one: with synchronous hooks (the usual
 * case) nothing is awaited and no promise is made.
 */
function runHooks(list: readonly ((payload: never) => unknown)[], payload: object, from = 0): Promise<void> | undefined {
  for (let i = from; i < list.length; i++) {
    const done = list[i]!(payload as never);
    if (isPromise(done)) return done.then(() => runHooks(list, payload, i + 1));
  }
  return undefined;
}

function isResponseLike(value: unknown): value is Response {
  return typeof value === 'object' && value !== null && 'status' in value && 'headers' in value && !Array.isArray(value);
}

/**
 * The URL of a request for exactly the GraphQL path (no query string, no fragment): what the
 * hooks read of it (pathname, search, searchParams) without parsing it; the rest is parsed on first
 * use. `new URL` was ~1 % of a request, made for two hooks that only compare the path.
 */
class EndpointUrl {
  readonly search = '';
  readonly hash = '';
  #parsed: URL | undefined = undefined;

  constructor(
    readonly href: string,
    readonly pathname: string,
  ) {}

  get searchParams(): URLSearchParams {
    return new URLSearchParams();
  }
  get origin(): string {
    return this.#full().origin;
  }
  get protocol(): string {
    return this.#full().protocol;
  }
  get host(): string {
    return this.#full().host;
  }
  get hostname(): string {
    return this.#full().hostname;
  }
  get port(): string {
    return this.#full().port;
  }
  get username(): string {
    return this.#full().username;
  }
  get password(): string {
    return this.#full().password;
  }
  toString(): string {
    return this.href;
  }
  toJSON(): string {
    return this.href;
  }
  #full(): URL {
    return (this.#parsed ??= new URL(this.href));
  }
}

type BodyText = string | Uint8Array;

/**
 * A fetch `Response` class whose instances with a text or byte body (every GraphQL answer and
 * coded error) are DirectResponses; any other body (a stream, a Blob) gets a real Response.
 */
function directResponseClass(api: { Response: typeof Response; Headers: typeof Headers }): typeof Response {
  class DirectResponse {
    readonly status!: number;
    readonly statusText!: string;
    readonly headers!: Headers;
    readonly bodyText!: BodyText | null;
    readonly type = 'default';
    readonly redirected = false;
    readonly url = '';
    bodyUsed = false;

    constructor(body?: BodyInit | null, init?: ResponseInit) {
      if (body !== null && body !== undefined && typeof body !== 'string' && !(body instanceof Uint8Array)) {
        // A constructor may return another object: this one is a real Response.
        return new api.Response(body, init) as unknown as DirectResponse;
      }
      this.status = init?.status ?? 200;
      this.statusText = init?.statusText ?? '';
      this.headers = init?.headers instanceof api.Headers ? init.headers : new api.Headers(init?.headers);
      this.bodyText = body ?? null;
      if (typeof body === 'string' && !this.headers.has('content-type')) this.headers.set('content-type', 'text/plain;charset=UTF-8');
    }

    get ok(): boolean {
      return this.status >= 200 && this.status < 300;
    }

    get body(): ReadableStream<Uint8Array> | null {
      if (this.bodyText === null) return null;
      const bytes = this.#bytes();
      return new ReadableStream({
        start(controller) {
          controller.enqueue(bytes);
          controller.close();
        },
      });
    }

    async text(): Promise<string> {
      this.bodyUsed = true;
      return typeof this.bodyText === 'string' ? this.bodyText : this.#bytes().toString('utf8');
    }

    async json(): Promise<unknown> {
      return JSON.parse(await this.text()) as unknown;
    }

    async arrayBuffer(): Promise<ArrayBuffer> {
      const bytes = this.#bytes();
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    }

    /** The body as bytes (empty for none). */
    #bytes(): Buffer {
      return typeof this.bodyText === 'string' ? Buffer.from(this.bodyText) : Buffer.from(this.bodyText ?? []);
    }

    static json(data: unknown, init?: ResponseInit): DirectResponse {
      const headers = new api.Headers(init?.headers);
      if (!headers.has('content-type')) headers.set('content-type', 'application/json; charset=utf-8');
      return new DirectResponse(JSON.stringify(data), { ...init, headers });
    }

    static error(): Response {
      return api.Response.error();
    }

    static redirect(url: string | URL, status?: number): Response {
      return api.Response.redirect(url, status);
    }

    clone(): DirectResponse {
      return new DirectResponse(this.bodyText as BodyInit | null, { status: this.status, statusText: this.statusText, headers: new api.Headers(this.headers) });
    }
  }
  directResponses.add(DirectResponse);
  return DirectResponse as unknown as typeof Response;
}

const directResponses = new WeakSet<object>();

/** Writes the answer: a DirectResponse in one writeHead and one end, anything else as @whatwg-node does. */
function send(response: Response, res: ServerResponse, req: IncomingMessage): unknown {
  if (!directResponses.has(response.constructor)) return sendNodeResponse(response, res, req, false);
  if (res.closed || res.destroyed || res.writableEnded) return;
  const body = (response as unknown as { bodyText: BodyText | null }).bodyText;
  const flat: string[] = [];
  let cookies: string[] | undefined;
  let hasLength = false;
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie') {
      cookies ??= response.headers.getSetCookie();
      return;
    }
    if (name === 'content-length') hasLength = true;
    flat.push(name, value);
  });
  if (cookies) for (const cookie of cookies) flat.push('set-cookie', cookie);
  if (!hasLength) flat.push('content-length', String(body === null ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength));
  res.writeHead(response.status, response.statusText || undefined, flat);
  res.end(body ?? undefined);
  return undefined;
}

const neverAborted = new AbortController().signal;

/**
 * The fetch `Request` the hooks read, over node's request: headers read in place, the URL
 * written once, the body read on demand (or already read by the edge, src/server/httpLimits.ts).
 *
 * A class, not an object literal: a literal with getters (`body`, `signal`) gets a hidden class
 * of its own each time it is made, because each getter is a new closure, and V8 keeps hidden
 * classes in the old generation. Those dead hidden classes kept each request's getters, and so
 * the request, alive through every young-generation collection until a full one: ~2.5 KB of
 * every request promoted to the old generation (bench/README.md, "Speed work").
 */
class NodeRequestView {
  readonly headers: Headers;
  readonly method: string | undefined;
  #text: Promise<string> | undefined = undefined;

  constructor(
    private readonly req: IncomingMessage & { body?: Buffer },
    readonly url: string,
    HeadersClass: typeof Headers,
    private readonly scope: { signal?: AbortSignal } | undefined,
  ) {
    this.method = req.method;
    this.headers = new HeadersClass(req.headers as Record<string, string>);
  }

  text(): Promise<string> {
    const { req } = this;
    return (this.#text ??=
      req.body !== undefined
        ? Promise.resolve(req.body.toString('utf8'))
        : readRequestBody(req, Number.MAX_SAFE_INTEGER).then((body) => {
            if (typeof body === 'string') throw new Error('The request body could not be read.');
            return body.toString('utf8');
          }));
  }

  json(): Promise<unknown> {
    return this.text().then((body) => JSON.parse(body) as unknown);
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.text().then((body) => new TextEncoder().encode(body).buffer);
  }

  /** Rarely read (the pipeline's parsers read text()): a stream of the same one body. */
  get body(): ReadableStream<Uint8Array> {
    const text = () => this.text();
    return new ReadableStream({
      async pull(controller) {
        controller.enqueue(new TextEncoder().encode(await text()));
        controller.close();
      },
    });
  }

  /** The request scope's: it aborts when the client leaves before its answer, made on first use. */
  get signal(): AbortSignal {
    return this.scope?.signal ?? neverAborted;
  }

  /** The body is read once and kept, so the view itself serves as its clone. */
  clone(): NodeRequestView {
    return this;
  }
}
