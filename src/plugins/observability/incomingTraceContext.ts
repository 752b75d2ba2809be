import { ROOT_CONTEXT, isSpanContextValid, trace, type Context, type Link } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

const propagator = new W3CTraceContextPropagator();

const headerGetter = {
  keys: (carrier: Headers) => [...carrier.keys()],
  get: (carrier: Headers, key: string) => carrier.get(key) ?? undefined,
};

export interface IncomingTraceContext {
  /** The context the request's span starts in: the client's when trusted, else a new trace. */
  parent: Context;
  /** The client's span context as a link, when it was sent but not trusted. */
  links: Link[];
}

/**
 * Reads W3C `traceparent`/`tracestate` from a client request. Trusted: the gateway's spans join
 * the client's trace. Untrusted: the gateway starts its own trace (its sampler decides, not the
 * client's sampled flag) and keeps the client's context as a link, so the two can still be joined
 * in a trace viewer. A malformed header is ignored either way (the propagator validates ids,
 * version and flags).
 */
export function incomingTraceContext(headers: Headers, trust: boolean): IncomingTraceContext {
  if (!headers.has('traceparent')) return { parent: ROOT_CONTEXT, links: [] };
  const extracted = propagator.extract(ROOT_CONTEXT, headers, headerGetter);
  const spanContext = trace.getSpanContext(extracted);
  if (!spanContext || !isSpanContextValid(spanContext)) return { parent: ROOT_CONTEXT, links: [] };
  if (trust) return { parent: extracted, links: [] };
  return { parent: ROOT_CONTEXT, links: [{ context: spanContext, attributes: { 'portico.link': 'client_traceparent' } }] };
}

/** The W3C headers that carry `ctx` to an upstream. */
export function outgoingTraceHeaders(ctx: Context): Record<string, string> {
  const headers: Record<string, string> = {};
  propagator.inject(ctx, headers, { set: (carrier, key, value) => void (carrier[key] = value) });
  return headers;
}
