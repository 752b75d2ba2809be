import type { TracingSettings } from '../config/operationsSchema.js';
import type { PorticoTracing, TracingOptions } from './createSdkTracing.js';

// The types live beside the SDK code that makes them, so this file imports nothing at run time.
export type { PorticoTracing, TracingOptions } from './createSdkTracing.js';

/**
 * The tracer of one Portico process, configured from `tracing` and the OTEL_* variables
 * (src/config/operationsSchema.ts resolves them). Undefined when tracing is off: then no provider,
 * no exporter, no context manager and no plugin exist, so tracing costs nothing.
 *
 * The provider is NOT registered as the global one, so two gateways in one process (tests) keep
 * separate exports; the tracer is handed down explicitly. What is global is the context manager
 * (AsyncLocalStorage): the span active around a resolver must be found by the HTTP client deep
 * below it without threading a context through every layer, and OpenTelemetry keeps exactly one.
 *
 * The SDK (provider, exporter, samplers: some 17 MiB of modules) is loaded only when tracing is
 * on, so a gateway that does not trace never holds it.
 */
export async function createTracing(settings: TracingSettings, options: TracingOptions = {}): Promise<PorticoTracing | undefined> {
  if (!settings.enabled) return undefined;
  const { createSdkTracing } = await import('./createSdkTracing.js');
  return createSdkTracing(settings, options);
}
