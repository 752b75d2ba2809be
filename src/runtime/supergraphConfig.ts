import type { z } from 'zod';
import { parse as parseSdl } from 'graphql';
import { ConfigError, displayPath } from '../config/configError.js';
import type { TrafficConfig } from '../config/trafficSchema.js';
import { joinGraphValues } from '../sources/federation/addMissingJoinFields.js';
import type { Env, LoadedBff, LoadedSource, PorticoConfig } from '../config/loadConfig.js';
import { resolveTracing } from '../config/operationsSchema.js';
import { bffSchema, rootConfigSchema, sourceSchema } from '../config/schema.js';
import type { plannerSchema } from '../config/plannerSchema.js';
import { PLANNER_FLAGS } from './plannerFlags.js';

/** The BFF and source name `serve` runs under: in logs, metric labels (`supergraph/<subgraph>`) and /readyz. */
export const SERVE_NAME = 'supergraph';

/**
 * `portico serve`'s cost ceiling when `--max-cost` is not given.
 *
 * A supergraph rarely carries `@listSize`, so every list without a slicing argument counts as the
 * default 10 items, and each nested list level multiplies by 10 again. Ordinary federated reads
 * nest lists four deep (users → reviews → product.reviews → author.reviews): 10⁴ = 10 000
 * objects at the deepest level. The bench's federated query, exactly that shape, prices at
 * 24 420 (bench/queries.ts; docs/serve.md works it through). 50 000 is twice that, so such a
 * query runs at the default, while one more nested list (10⁵ = 100 000 objects, even selecting
 * one object field per level) is refused before any subgraph is called. The BFF default (5 000)
 * is for schemas that declare their list sizes; `serve` sees supergraphs that do not.
 */
export const SERVE_DEFAULT_MAX_COST = 50_000;

/** What `portico serve` lets a user choose; everything else is the BFF defaults. */
export interface SupergraphConfigOptions {
  /** The supergraph file, for messages, and its SDL (already checked to be a supergraph). */
  file: string;
  supergraphSdl: string;
  port: number;
  host: string;
  /** @default SERVE_DEFAULT_MAX_COST */
  maxCost?: number | undefined;
  /** @default true */
  queryPlanner?: boolean | undefined;
  /** `/metrics` and `/sources` on this port (0: any free one). @default undefined: no admin listener */
  adminPort?: number | undefined;
  /** @default '127.0.0.1' even when the gateway listens on every interface: metrics are for the operator's scraper */
  adminHost?: string | undefined;
  /** The subgraphs' transport chain; each `false` switches one layer off. */
  transport?: ServeTransportOptions;
  /** Bearer JWTs: given together, or not at all. */
  jwt?: { jwksUrl: string; issuer: readonly string[]; audience: readonly string[] } | undefined;
  /**
   * What a field without `@public`/`@auth`/`@requiresScopes` requires.
   * @default 'authenticated' with `jwt` (a team that sets up tokens wants them required),
   * 'public' without (no caller could authenticate, so 'authenticated' would refuse everything)
   */
  defaultPolicy?: 'public' | 'authenticated' | undefined;
  /** TLS with HTTP/2 by ALPN (src/config/tlsSchema.ts): absolute PEM file paths. @default plain HTTP */
  tls?: { certFile: string; keyFile: string } | undefined;
  /** For OTEL_* tracing settings. */
  env?: Env;
  /**
   * Versions of subgraphs and how calls are routed among them, by subgraph name, read from
   * `--traffic FILE` (docs/serve.md, docs/traffic.md). @default none: each subgraph is its one URL
   */
  traffic?: { file: string; subgraphs: Readonly<Record<string, TrafficConfig>> } | undefined;
  /** The query planner's cache bounds and planning budget (src/config/plannerSchema.ts). @default the config defaults */
  planner?: z.input<typeof plannerSchema> | undefined;
}

/** The `serve` flag that sets each planner key, for messages about its value. */
const plannerFlags = Object.fromEntries(PLANNER_FLAGS.map(([section, key, flag]) => [`planner.${section}.${key}`, `--${flag}`]));

export interface ServeTransportOptions {
  /** Circuit breaker per subgraph. @default true */
  breaker?: boolean;
  /** Budgeted retries of reads. @default true */
  retries?: boolean;
  /** Last-known-good answers served, marked stale, when a subgraph fails. @default true */
  fallbackCache?: boolean;
  /** Per-call timeout in ms. @default the source default (5000) */
  timeoutMs?: number;
}

/** Where a mistake in a flag is reported: `(command line): --jwks-url: …`. */
const COMMAND_LINE = '(command line)';

/**
 * The config `portico serve --supergraph FILE` runs: one federation source and one BFF over it,
 * built from the same zod schemas as a config file (so every default is the documented one), and
 * started by `startPortico` like any other config: same transport chain, pipeline, readiness and
 * admin listener.
 */
export function supergraphConfig(options: SupergraphConfigOptions): PorticoConfig {
  const transport = options.transport ?? {};
  const source = parse(
    sourceSchema,
    {
      kind: 'federation',
      supergraph: options.file,
      queryPlanner: options.queryPlanner ?? true,
      ...(options.traffic ? { subgraphTraffic: subgraphTrafficFor(options.traffic, options.supergraphSdl) } : {}),
      resilience: {
        ...(transport.timeoutMs === undefined ? {} : { timeoutMs: transport.timeoutMs }),
        ...(transport.breaker === false ? { breaker: { enabled: false } } : {}),
        ...(transport.retries === false ? { retry: { maxRetries: 0 } } : {}),
        ...(transport.fallbackCache === false ? { fallback: { enabled: false } } : {}),
      },
    },
    {},
  );
  const loadedSource: LoadedSource = { ...source, name: SERVE_NAME, file: options.file, supergraphSdl: options.supergraphSdl };
  const jwt = options.jwt;
  const bff = parse(
    bffSchema,
    {
      name: SERVE_NAME,
      port: options.port,
      host: options.host,
      sources: [SERVE_NAME],
      cost: { maxCost: options.maxCost ?? SERVE_DEFAULT_MAX_COST },
      ...(jwt
        ? { auth: { jwt: { jwksUrl: jwt.jwksUrl, issuer: [...jwt.issuer], audience: [...jwt.audience] } } }
        : {}),
      authz: { defaultPolicy: options.defaultPolicy ?? (jwt ? 'authenticated' : 'public') },
      ...(options.tls ? { tls: { certFile: options.tls.certFile, keyFile: options.tls.keyFile } } : {}),
      ...(options.planner ? { planner: options.planner } : {}),
    },
    { ...plannerFlags, 'tls.certFile': '--tls-cert', 'tls.keyFile': '--tls-key', 'auth.jwt.jwksUrl': '--jwks-url', 'auth.jwt.issuer': '--issuer', 'auth.jwt.audience': '--audience', 'cost.maxCost': '--max-cost', port: '--port' },
  );
  const loadedBff: LoadedBff = { ...bff, file: options.file };
  // The root keys' defaults, from the schema a config file is read with.
  const root = rootConfigSchema.parse({ sources: options.file, bffs: ['.'] });
  const config: PorticoConfig = {
    file: options.file,
    sources: { [SERVE_NAME]: loadedSource },
    bffs: [loadedBff],
    fallbackCache: root.fallbackCache,
    responseCache: root.responseCache,
    tracing: resolveTracing(root.tracing, options.env ?? {}),
    accessLog: root.accessLog,
    metrics: root.metrics,
    shutdown: root.shutdown,
    reload: root.reload,
    fleet: root.fleet,
    files: options.traffic ? [options.file, options.traffic.file] : [options.file],
  };
  if (options.adminPort !== undefined) config.admin = { host: options.adminHost ?? '127.0.0.1', port: options.adminPort };
  return config;
}

/**
 * The traffic file's blocks, once every subgraph it names is one of the supergraph's: a typo in a
 * name is reported against the traffic file, not discovered as a subgraph that never routes.
 */
function subgraphTrafficFor(traffic: NonNullable<SupergraphConfigOptions['traffic']>, supergraphSdl: string): Record<string, TrafficConfig> {
  const names = [...joinGraphValues(parseSdl(supergraphSdl)).keys()];
  for (const name of Object.keys(traffic.subgraphs)) {
    if (!names.includes(name)) throw new ConfigError(displayPath(traffic.file), name, `no subgraph named "${name}" in the supergraph (subgraphs: ${names.join(', ')})`);
  }
  return { ...traffic.subgraphs };
}

/** Parses with a config schema; an issue is reported against the flag that set the key. */
function parse<T extends z.ZodType>(schema: T, value: unknown, flags: Record<string, string>): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const key = issue.path.map(String).join('.');
  const flag = Object.entries(flags).find(([prefix]) => key === prefix || key.startsWith(`${prefix}.`))?.[1];
  throw new ConfigError(COMMAND_LINE, flag ?? key, issue.message);
}
