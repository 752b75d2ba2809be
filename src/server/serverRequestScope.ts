import { setMaxListeners } from 'node:events';
import { CancelSignal } from '../context/cancelSignal.js';
import type { ClientCertificate } from '../context/clientCertificate.js';
import { ANONYMOUS, type Principal } from '../context/principal.js';
import type { RequestScope, StaleSource } from '../context/requestScope.js';
import type { SourceHeaderContributor } from '../context/sourceHeaders.js';
import type { UpstreamObserver } from '../context/upstreamObserver.js';

/**
 * The scope of one HTTP request (src/context/requestScope.ts), as the server creates it.
 *
 * A class with every field set in its constructor, so each request's scope has the one shape
 * (plugins set `deadline`, `upstreamObservers`, … later: assigned, never added, they need no
 * out-of-object property store), and with its abort signal created on first use.
 *
 * Why lazily: an `AbortController` and its signal (an EventTarget with its listener map) are
 * about 0.5 KB that lives as long as the request, and under load a request that lives across two
 * young-generation collections has everything it holds copied into the old generation, where only
 * a full collection frees it (issue 17: those collections' pauses set the p99). A request that
 * never calls an upstream (an answer from the response cache, a refusal, `/readyz`) never asks
 * for a signal, so it never has one. Upstream calls listen on `callSignal`, a CancelSignal
 * (src/context/cancelSignal.ts): on Node 20 every AbortSignal also costs ~0.5 KB of hidden
 * classes of its own in the old generation, so the real one is made only for a plugin or
 * resolver that asks for `signal`.
 */
export class ServerRequestScope implements RequestScope {
  requestId: string;
  principal: Principal = ANONYMOUS;
  upstreamHeaders: Record<string, string> = {};
  deadline: number | undefined = undefined;
  stale: StaleSource[] | undefined = undefined;
  upstreamObservers: UpstreamObserver[] | undefined = undefined;
  traceId: string | undefined = undefined;
  clientCertificate: ClientCertificate | undefined;
  requestHeaders: Readonly<Record<string, string | string[] | undefined>>;
  uploads: true | undefined = undefined;
  sourceHeaders: SourceHeaderContributor[] | undefined = undefined;
  forwardedHeadersKey: string | undefined = undefined;
  #controller: AbortController | undefined = undefined;
  #callSignal: CancelSignal | undefined = undefined;
  #cancelled = false;

  constructor(requestId: string, requestHeaders: Readonly<Record<string, string | string[] | undefined>>, clientCertificate: ClientCertificate | undefined) {
    this.requestId = requestId;
    this.requestHeaders = requestHeaders;
    this.clientCertificate = clientCertificate;
  }

  /** Aborts when the client goes away before its answer is written; already aborted if it has. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      // Upstream calls listen on callSignal; this one is for plugins and resolvers, and a resolver
      // handing it to a fetch per item of a page adds a listener per item.
      setMaxListeners(0, this.#controller.signal);
      if (this.#cancelled) this.#controller.abort();
    }
    return this.#controller.signal;
  }

  /** The same event, as the light signal the request's upstream calls listen on. */
  get callSignal(): CancelSignal {
    if (this.#callSignal === undefined) {
      this.#callSignal = new CancelSignal();
      if (this.#cancelled) this.#callSignal.abort();
    }
    return this.#callSignal;
  }

  /** The client went away before its answer was written: whatever the request still does is for nobody. */
  cancel(): void {
    this.#cancelled = true;
    this.#controller?.abort();
    this.#callSignal?.abort();
  }
}
