import { z } from 'zod';

// Root config keys for running Portico in production: tracing, the access log, request metrics,
// graceful shutdown, hot reload and the fleet channel. docs/operations.md explains each in use.

type Env = Readonly<Record<string, string | undefined>>;

export const tracingSchema = z
  .strictObject({
    /**
     * Export OpenTelemetry spans. Absent: on when the environment asks for it the standard way
     * (`OTEL_TRACES_EXPORTER=otlp|console`, `OTEL_EXPORTER_OTLP_ENDPOINT` or
     * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`), off otherwise; `OTEL_SDK_DISABLED=true` and
     * `OTEL_TRACES_EXPORTER=none` always turn it off.
     * @default undefined: off unless OTEL_* says otherwise. When off no plugin is installed and no
     * span object is ever created, so tracing costs nothing until an operator turns it on.
     */
    enabled: z.boolean().optional(),
    /**
     * Make a client's W3C `traceparent` the parent of the gateway's spans. When false the
     * gateway starts its own trace and records the client's context as a span *link*, so the two
     * stay correlated without the client choosing trace ids or forcing sampling.
     * @default false: Portico is the edge of the network. An untrusted client that controls the
     * sampled flag and the trace id can inflate trace storage and splice its spans into internal
     * traces; the OpenTelemetry HTTP conventions recommend a link at such public endpoints. Set
     * true behind a proxy or a first-party app that already starts traces.
     */
    trustIncomingTraceparent: z.boolean().default(false),
    /**
     * Service name on every span. `OTEL_SERVICE_NAME` wins when set.
     * @default 'portico'
     */
    serviceName: z.string().min(1).default('portico'),
  })
  .prefault({});

export const accessLogSchema = z
  .strictObject({
    /**
     * Key for the HMAC of the caller's subject in the access log. Without it the subject is
     * hashed with plain SHA-256, which anyone can recompute for a guessed user id; with it only
     * holders of the key can link a log line to a user. Share it across the fleet so one user
     * hashes the same on every instance.
     * @default undefined: plain SHA-256 (still no raw subject in the log)
     */
    subjectHashKey: z.string().min(16).optional(),
  })
  .prefault({});

/**
 * Which `graphql-client-name` / `apollographql-client-name` values (and their versions) get their
 * own label value on the request series; the rest count as `other`, a request without the header
 * as `none`. Names are learned only from operations that executed (authenticated, valid), in the
 * order first seen, so refused requests cannot fill the budget.
 */
export const clientMetricsSchema = z
  .strictObject({
    /**
     * Client names that always keep their own label value, whatever arrives first.
     * @default []: every name is learned
     * @example ['web', 'ios', 'android']
     */
    names: z.array(z.string().regex(/^[A-Za-z0-9._\-/+@]{1,64}$/)).max(100).default([]),
    /**
     * Further names learned per BFF, first seen first. 0 labels only the `names` above.
     * @default 20: a handful of apps and their internal tools; each name costs one series per
     * operation, status and version, so this bounds a scrape against clients inventing names
     */
    maxLearned: z.number().int().min(0).max(1000).default(20),
    /**
     * Versions per client name with their own label value, first seen first; later ones are `other`.
     * @default 10: the releases of one app still in use at once
     */
    maxVersions: z.number().int().min(0).max(1000).default(10),
  })
  .prefault({});

export const requestMetricsSchema = z
  .strictObject({
    /**
     * Distinct operation names that get their own label value in the request series; later names
     * are counted under `__other__`. Each name costs one series per status and histogram bucket,
     * so this bounds the scrape however many names clients invent.
     * @default 200: more named operations than a typical app ships, a few thousand series at most
     */
    maxOperationNames: z.number().int().min(0).max(10_000).default(200),
    /** Client awareness: `client_name`/`client_version` labels (docs/operations.md). */
    clients: clientMetricsSchema,
  })
  .prefault({});

export const shutdownSchema = z
  .strictObject({
    /**
     * After SIGTERM, how long `/readyz` answers 503 while requests are still accepted, so load
     * balancers that poll readiness stop routing here before the listener closes.
     * @default 0: Kubernetes removes the pod from Service endpoints on its own; give the pod a
     * `preStop` sleep there (deploy/k8s) and set this instead behind a polling balancer
     */
    unreadyDelayMs: z.number().int().min(0).max(120_000).default(0),
    /**
     * After the listener closes, how long in-flight requests may take to finish before their
     * sockets are destroyed; then Redis clients and breakers close.
     * @default 20000: twice the default request budget (10 s), and inside Kubernetes' default
     * 30 s termination grace period with room for the preStop delay
     */
    drainTimeoutMs: z.number().int().min(0).max(600_000).default(20_000),
  })
  .prefault({});

export const reloadSchema = z
  .strictObject({
    /**
     * Reload when a config file changes (the root file, the sources registry, each BFF's
     * `bff.config.ts`). SIGHUP and `POST /admin/reload` reload whatever this says.
     * @default false: production config usually arrives by deploy; a Kubernetes ConfigMap update
     * is the case for turning it on
     */
    watch: z.boolean().default(false),
    /**
     * Quiet time after the last file event before reloading, so an editor's or kubelet's
     * several writes become one reload.
     * @default 300
     */
    debounceMs: z.number().int().min(0).max(60_000).default(300),
  })
  .prefault({});

export const fleetSchema = z
  .strictObject({
    /**
     * Join the fleet channel on the deployment's Redis: a reload on one instance (SIGHUP, admin
     * call, file watch) is announced to all, which reload too.
     * @default true when a Redis is configured: instances behind one balancer should not serve
     * different policies for long
     */
    enabled: z.boolean().optional(),
    /**
     * How often each instance compares its config version with the fleet's in Redis and reloads
     * when behind, so an announcement missed during a network blip heals.
     * @default 30000
     */
    resyncIntervalMs: z.number().int().min(100).max(3_600_000).default(30_000),
  })
  .prefault({});

export type TracingConfig = z.output<typeof tracingSchema>;
export type AccessLogConfig = z.output<typeof accessLogSchema>;
export type ClientMetricsConfig = z.output<typeof clientMetricsSchema>;
export type RequestMetricsConfig = z.output<typeof requestMetricsSchema>;
export type ShutdownConfig = z.output<typeof shutdownSchema>;
export type ReloadConfig = z.output<typeof reloadSchema>;
export type FleetConfig = z.output<typeof fleetSchema>;

/** Tracing as the process will run it: the config key merged with the standard OTEL_* variables. */
export interface TracingSettings {
  enabled: boolean;
  trustIncomingTraceparent: boolean;
  serviceName: string;
  /** Where spans go. */
  exporter: 'otlp' | 'console';
  /** Full OTLP/HTTP traces URL (…/v1/traces). */
  endpoint: string;
  /** `OTEL_EXPORTER_OTLP_(TRACES_)HEADERS`, parsed. */
  headers: Record<string, string>;
  /** `OTEL_TRACES_SAMPLER`: always_on, always_off, traceidratio, parentbased_*. */
  sampler: string;
  /** `OTEL_TRACES_SAMPLER_ARG` for the ratio samplers. */
  samplerRatio: number;
  /** `OTEL_RESOURCE_ATTRIBUTES`, parsed. */
  resourceAttributes: Record<string, string>;
}

const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

/**
 * Merges the `tracing` key with the OpenTelemetry environment variables (the names every
 * OpenTelemetry SDK reads, so operators configure Portico like any other service). Throws a
 * message naming the variable when one is malformed.
 */
export function resolveTracing(config: TracingConfig, env: Env): TracingSettings {
  const exporterVar = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase();
  const tracesEndpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  const baseEndpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (exporterVar && !['otlp', 'console', 'none'].includes(exporterVar)) {
    throw new Error(`OTEL_TRACES_EXPORTER: expected otlp, console or none, got ${JSON.stringify(exporterVar)}`);
  }
  const disabled = env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' || exporterVar === 'none';
  const askedByEnv = exporterVar === 'otlp' || exporterVar === 'console' || Boolean(tracesEndpoint || baseEndpoint);
  const sampler = env.OTEL_TRACES_SAMPLER?.trim().toLowerCase() || 'parentbased_always_on';
  if (!SAMPLERS.includes(sampler)) throw new Error(`OTEL_TRACES_SAMPLER: expected one of ${SAMPLERS.join(', ')}, got ${JSON.stringify(sampler)}`);
  const ratioText = env.OTEL_TRACES_SAMPLER_ARG?.trim();
  const samplerRatio = ratioText ? Number(ratioText) : 1;
  if (!Number.isFinite(samplerRatio) || samplerRatio < 0 || samplerRatio > 1) {
    throw new Error(`OTEL_TRACES_SAMPLER_ARG: expected a number from 0 to 1, got ${JSON.stringify(ratioText)}`);
  }
  // Per the OTLP exporter spec, the signal-specific variable is used as is; the base one gets
  // the signal's path appended.
  const endpoint = tracesEndpoint || `${(baseEndpoint || 'http://localhost:4318').replace(/\/+$/, '')}/v1/traces`;
  try {
    new URL(endpoint);
  } catch {
    throw new Error(`OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT: not a URL: ${JSON.stringify(endpoint)}`);
  }
  return {
    enabled: !disabled && (config.enabled ?? askedByEnv),
    trustIncomingTraceparent: config.trustIncomingTraceparent,
    serviceName: env.OTEL_SERVICE_NAME?.trim() || config.serviceName,
    exporter: exporterVar === 'console' ? 'console' : 'otlp',
    endpoint,
    headers: { ...parseKeyValues(env.OTEL_EXPORTER_OTLP_HEADERS), ...parseKeyValues(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS) },
    sampler,
    samplerRatio,
    resourceAttributes: parseKeyValues(env.OTEL_RESOURCE_ATTRIBUTES),
  };
}

/** `k1=v1,k2=v2` with percent-encoded values, the W3C Baggage-like form OTEL_* lists use. */
function parseKeyValues(text: string | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const pair of (text ?? '').split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    const key = pair.slice(0, at).trim();
    const raw = pair.slice(at + 1).trim();
    if (!key) continue;
    try {
      result[key] = decodeURIComponent(raw);
    } catch {
      result[key] = raw;
    }
  }
  return result;
}
