import { describe, expect, it } from 'vitest';
import { resolveTracing, tracingSchema } from '../../src/config/operationsSchema.js';

const defaults = tracingSchema.parse(undefined);

describe('resolveTracing', () => {
  it('is off by default, with nothing in the environment', () => {
    expect(resolveTracing(defaults, {})).toMatchObject({ enabled: false, trustIncomingTraceparent: false, serviceName: 'portico' });
  });

  it('turns on when the standard OTLP endpoint variable is set, and appends the traces path to it', () => {
    const settings = resolveTracing(defaults, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/', OTEL_SERVICE_NAME: 'edge' });
    expect(settings).toMatchObject({ enabled: true, endpoint: 'http://collector:4318/v1/traces', serviceName: 'edge', exporter: 'otlp' });
  });

  it('uses the signal-specific endpoint as given', () => {
    expect(resolveTracing(defaults, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://otel.example/custom' }).endpoint).toBe('https://otel.example/custom');
  });

  it('lets OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER=none win over the config key', () => {
    const on = tracingSchema.parse({ enabled: true });
    expect(resolveTracing(on, {}).enabled).toBe(true);
    expect(resolveTracing(on, { OTEL_SDK_DISABLED: 'true' }).enabled).toBe(false);
    expect(resolveTracing(on, { OTEL_TRACES_EXPORTER: 'none' }).enabled).toBe(false);
  });

  it('parses headers, resource attributes and the sampler', () => {
    const settings = resolveTracing(defaults, {
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=abc%20def, tenant=t1',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'tenant=t2',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
    });
    expect(settings.headers).toEqual({ 'x-api-key': 'abc def', tenant: 't2' });
    expect(settings.resourceAttributes).toEqual({ 'deployment.environment': 'prod' });
    expect(settings).toMatchObject({ sampler: 'parentbased_traceidratio', samplerRatio: 0.25 });
  });

  it('names the variable at fault when one is malformed', () => {
    expect(() => resolveTracing(defaults, { OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(/OTEL_TRACES_SAMPLER: expected one of/);
    expect(() => resolveTracing(defaults, { OTEL_TRACES_SAMPLER_ARG: '2' })).toThrow(/OTEL_TRACES_SAMPLER_ARG/);
    expect(() => resolveTracing(defaults, { OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER/);
    expect(() => resolveTracing(defaults, { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' })).toThrow(/not a URL/);
  });
});
