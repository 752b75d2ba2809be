import { context, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { TracingSettings } from '../config/operationsSchema.js';

/** One process's tracer and its export pipeline. */
export interface PorticoTracing {
  readonly tracer: Tracer;
  readonly trustIncomingTraceparent: boolean;
  /** Sends the spans ended so far (tests; the drain before exit). */
  flush(): Promise<void>;
  /** Flushes, then stops exporting. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** `service.version` on every span. */
  version?: string;
  /** Replaces the exporter the settings describe (tests, or an embedding application). */
  exporter?: SpanExporter;
}

/** `createTracing` with tracing on: the provider, its exporter and the context manager. */
export function createSdkTracing(settings: TracingSettings, options: TracingOptions = {}): PorticoTracing {
  ensureContextManager();
  const exporter =
    options.exporter ??
    (settings.exporter === 'console'
      ? new ConsoleSpanExporter()
      : new OTLPTraceExporter({ url: settings.endpoint, headers: settings.headers }));
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      ...settings.resourceAttributes,
      'service.name': settings.serviceName,
      ...(options.version ? { 'service.version': options.version } : {}),
    }),
    sampler: samplerFor(settings),
    // Batching keeps export off the request path; the processor's own defaults (512 spans or 5 s
    // per export, 2048 queued, then dropped) bound its memory when the collector is away.
    spanProcessors: [new BatchSpanProcessor(exporter)],
  });
  return {
    tracer: provider.getTracer('portico', options.version),
    trustIncomingTraceparent: settings.trustIncomingTraceparent,
    flush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

function samplerFor(settings: TracingSettings): Sampler {
  const ratio = new TraceIdRatioBasedSampler(settings.samplerRatio);
  switch (settings.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio;
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

function ensureContextManager(): void {
  const manager = new AsyncLocalStorageContextManager();
  // Returns false when one is registered already (a second gateway in this process, or an
  // application embedding Portico with its own SDK); that one serves us just as well.
  if (!context.setGlobalContextManager(manager.enable())) manager.disable();
}
