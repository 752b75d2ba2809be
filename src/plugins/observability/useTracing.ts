import { context, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { getOperationAST } from 'graphql';
import type { PorticoPlugin } from '../../context/requestScope.js';
import type { UpstreamObserver } from '../../context/upstreamObserver.js';
import { incomingTraceContext, outgoingTraceHeaders } from './incomingTraceContext.js';
import { clientIdentityOf } from '../../observability/clientIdentity.js';

export interface TracingPluginOptions {
  /** The process's tracer (src/observability/tracing.ts creates it from the OTEL_* settings). */
  tracer: Tracer;
  /**
   * Join the client's trace when it sends a W3C `traceparent`; otherwise start a new trace that
   * links to the client's.
   * @default false: Portico is the network edge; src/config/operationsSchema.ts gives the reasons.
   */
  trustIncomingTraceparent?: boolean;
  /** Recorded on the request span as `portico.bff`. */
  bff: string;
}

type MaybePromise<T> = T | Promise<T>;

/**
 * OpenTelemetry spans for one BFF: a SERVER span per HTTP request and one span per phase the
 * engine exposes (request parsing, where authentication runs; each operation of a batch; parse;
 * validate, where limits, cost and field authorization run; context; execute, where the rate
 * limiter and every resolver run; result processing), and a CLIENT span per upstream attempt,
 * whose W3C `traceparent` goes to the subgraph.
 *
 * Uses yoga's `instrumentation` API, which wraps each phase, so the phase's span is the active
 * context inside it and the HTTP client deep below a resolver finds its parent without any
 * argument threading. Installed only when tracing is on (src/pipeline/buildPipeline.ts).
 */
export function useTracing(options: TracingPluginOptions): PorticoPlugin {
  const { tracer, bff } = options;
  const trust = options.trustIncomingTraceparent ?? false;
  const requestSpans = new WeakMap<Request, Span>();

  const observeUpstream: UpstreamObserver = (attempt) => {
    const parent = context.active();
    const url = URL.canParse(attempt.url) ? new URL(attempt.url) : undefined;
    const span = tracer.startSpan(
      `${attempt.method} ${attempt.source}`,
      {
        kind: SpanKind.CLIENT,
        attributes: {
          'portico.source': attempt.source,
          ...(attempt.version ? { 'portico.source.version': attempt.version } : {}),
          // Waited for another request's identical call (src/transport/withSharedCalls.ts): no traceparent of its own went upstream.
          ...(attempt.joined ? { 'portico.upstream.joined': true } : {}),
          'http.request.method': attempt.method,
          ...(url ? { 'server.address': url.hostname, 'server.port': Number(url.port) || (url.protocol === 'https:' ? 443 : 80), 'url.path': url.pathname } : {}),
        },
      },
      parent,
    );
    return {
      headers: outgoingTraceHeaders(trace.setSpan(parent, span)),
      end(outcome) {
        if (outcome.status !== undefined) span.setAttribute('http.response.status_code', outcome.status);
        if (outcome.errorCode !== undefined) {
          span.setAttribute('error.type', outcome.errorCode);
          span.setStatus({ code: SpanStatusCode.ERROR });
        } else if (outcome.status !== undefined && outcome.status >= 500) {
          span.setAttribute('error.type', String(outcome.status));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
        span.end();
      },
    };
  };

  const phase =
    <P extends object>(name: string, attributes?: (payload: P) => Attributes) =>
    (payload: P, wrapped: () => MaybePromise<void>): MaybePromise<void> => {
      const parent = context.active();
      const span = tracer.startSpan(name, attributes ? { attributes: attributes(payload) } : {}, parent);
      return runInSpan(trace.setSpan(parent, span), span, wrapped);
    };

  return {
    instrumentation: {
      request({ request }, wrapped) {
        const { parent, links } = incomingTraceContext(request.headers, trust);
        const path = URL.canParse(request.url) ? new URL(request.url).pathname : '/';
        const span = tracer.startSpan(
          `${request.method} ${path}`,
          { kind: SpanKind.SERVER, links, attributes: { 'http.request.method': request.method, 'url.path': path, 'portico.bff': bff } },
          parent,
        );
        requestSpans.set(request, span);
        return runInSpan(trace.setSpan(parent, span), span, wrapped);
      },
      requestParse: phase('graphql.request_parse'),
      operation: phase('graphql.operation'),
      parse: phase('graphql.parse'),
      validate: phase('graphql.validate'),
      context: phase('graphql.context'),
      execute: phase('graphql.execute'),
      subscribe: phase('graphql.subscribe'),
      resultProcess: phase('graphql.result_process'),
    },
    onRequest({ request, serverContext }) {
      const span = requestSpans.get(request);
      const scope = serverContext.portico;
      if (!span || !scope) return;
      scope.traceId = span.spanContext().traceId;
      // Client awareness, under the names Apollo's router uses, so existing trace queries work.
      const client = clientIdentityOf(request.headers);
      if (client.name !== undefined) span.setAttribute('client.name', client.name);
      if (client.version !== undefined) span.setAttribute('client.version', client.version);
      (scope.upstreamObservers ??= []).push(observeUpstream);
    },
    onExecute({ args }) {
      // Runs inside the execute phase, so the active span is this operation's execute span.
      const operation = getOperationAST(args.document, args.operationName);
      const span = trace.getSpan(context.active());
      if (!operation || !span) return;
      span.setAttribute('graphql.operation.type', operation.operation);
      if (operation.name) span.setAttribute('graphql.operation.name', operation.name.value.slice(0, 100));
    },
    onResponse({ request, response }) {
      const span = requestSpans.get(request);
      if (!span) return;
      span.setAttribute('http.response.status_code', response.status);
      if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    },
  };
}

/** Runs `wrapped` with `ctx` active and ends `span` when it settles, sync or async. */
function runInSpan(ctx: Context, span: Span, wrapped: () => MaybePromise<void>): MaybePromise<void> {
  const fail = (error: unknown) => {
    span.recordException(error instanceof Error ? error : String(error));
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
  };
  let result: MaybePromise<void>;
  try {
    result = context.with(ctx, wrapped);
  } catch (error) {
    fail(error);
    throw error;
  }
  if (result instanceof Promise) {
    return result.then(
      () => span.end(),
      (error: unknown) => {
        fail(error);
        throw error;
      },
    );
  }
  span.end();
  return result;
}
