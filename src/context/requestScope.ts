import type { Plugin } from 'graphql-yoga';
import type { ClientCertificate } from './clientCertificate.js';
import type { Principal } from './principal.js';
import type { SourceHeaderContributor } from './sourceHeaders.js';
import type { UpstreamObserver } from './upstreamObserver.js';
import type { CallSignal } from './cancelSignal.js';

/**
 * Per-request state shared along the pipeline. The server creates one per request
 * (src/server/createBffServer.ts) at `context.portico`, with every field present, so the context
 * object keeps one shape on every request. Plugins fill in what they own (auth: `principal` and
 * the identity headers); sources read it for upstream calls.
 */
export interface RequestScope {
  /** Propagated to every upstream call as `x-request-id`. */
  requestId: string;
  /** The verified caller; ANONYMOUS until the auth stage says otherwise. */
  principal: Principal;
  /**
   * Headers added to every upstream call of this request: the verified identity, the deadline.
   * Built by the pipeline, never copied from the client.
   */
  upstreamHeaders: Record<string, string>;
  /**
   * Aborts when the client goes away before its answer: a real AbortSignal, for plugins and
   * resolvers that hand it to APIs which take only that (fetch).
   */
  signal?: AbortSignal;
  /**
   * The same event as `signal`, as the lighter signal upstream calls listen on
   * (src/context/cancelSignal.ts says why they do not use `signal`). Absent on scopes that only
   * have `signal`.
   */
  callSignal?: CallSignal;
  /** Epoch ms by which the whole request must be answered; undefined means no budget. */
  deadline?: number;
  /**
   * Sources whose answer in this request came from the fallback cache, with the age of that
   * answer; the response carries them as `extensions.stale`. Created on first use, since almost
   * no request has one.
   */
  stale?: StaleSource[];
  /**
   * Told about every upstream attempt of this request (src/context/upstreamObserver.ts): the
   * access log and tracing register here in onRequest. Absent when nobody watches.
   */
  upstreamObservers?: UpstreamObserver[];
  /** The W3C trace id of this request, when tracing is on; the access log prints it. */
  traceId?: string;
  /**
   * The client certificate of the request's TLS connection, when the BFF asks for one
   * (`tls.clientCaFile`) and the client sent one; set by the server from the TLS session only.
   */
  clientCertificate?: ClientCertificate | undefined;
  /**
   * The client's request headers as received. Read only by a source's traffic rules (a tester's
   * `x-version: canary`, docs/traffic.md), never for identity: that is `principal`'s job.
   */
  requestHeaders?: Readonly<Record<string, string | string[] | undefined>>;
  /**
   * Set when the request is a file upload (src/plugins/uploads/): only then do source executors
   * look for StreamedUploads among the variables they send.
   */
  uploads?: true;
  /**
   * Per-source headers of this request (src/context/sourceHeaders.ts): header rules and signed
   * claims register here; every source call applies them. Absent when nothing is configured.
   */
  sourceHeaders?: SourceHeaderContributor[];
  /**
   * The values of every client header a header rule of this BFF may forward, as one digest
   * (src/plugins/headers/useHeaderRules.ts): an answer that may depend on them is cached and
   * shared (response cache, fallback cache) only between requests that sent the same values.
   * Absent when no rule forwards a client header.
   */
  forwardedHeadersKey?: string;
}

export interface StaleSource {
  source: string;
  /** How old the served answer was, in ms. */
  ageMs: number;
}

export interface ScopedContext {
  portico?: RequestScope;
}

/**
 * The server context of every BFF request (src/server/createBffServer.ts creates it before the
 * first hook), which yoga merges into the GraphQL context too. A plugin that reads the scope
 * declares it as `Plugin<PorticoContext, PorticoContext>` (see `PorticoPlugin`) instead of casting.
 */
export interface PorticoContext {
  portico: RequestScope;
}

/** A yoga plugin that reads the request scope, typed in both its server and GraphQL context. */
export type PorticoPlugin = Plugin<PorticoContext, PorticoContext>;

/**
 * An entry of the pipeline's list. Each plugin declares the context it reads (`PorticoPlugin`, or
 * none); yoga's Plugin type is invariant in its context parameters, so the list cannot name one.
 */
export type PipelinePlugin = Plugin<any, any>;

export function scopeOf(context: unknown): RequestScope | undefined {
  return (context as ScopedContext | undefined)?.portico;
}

/**
 * What a request's upstream calls listen on: its light `callSignal`, or `signal` on scopes that
 * have only that (a WebSocket operation's, a test's).
 */
export function callSignalOf(scope: RequestScope | undefined): CallSignal | undefined {
  return scope?.callSignal ?? scope?.signal;
}
