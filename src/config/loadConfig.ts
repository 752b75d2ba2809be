import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { z } from 'zod';
import type { ProcessSubscriptionsConfig } from './subscriptionsSchema.js';
import { ConfigError, displayPath } from './configError.js';
import { loadUpstreamTls, upstreamTlsFiles } from './loadUpstreamTls.js';
import type { UpstreamTlsMaterial } from './upstreamTlsSchema.js';
import {
  bffSchema,
  rootConfigSchema,
  sourcesFileSchema,
  type BffConfig,
  type SourceConfig,
} from './schema.js';
import type { AdminConfig, FallbackCacheConfig } from './resilienceSchema.js';
import type { ResponseCacheStoreConfig } from './responseCacheSchema.js';
import { redisSchema, type RedisConfig } from './redisSchema.js';
import { importTypeScript } from './importTypeScript.js';
import {
  resolveTracing,
  type AccessLogConfig,
  type FleetConfig,
  type ReloadConfig,
  type RequestMetricsConfig,
  type ShutdownConfig,
  type TracingConfig,
  type TracingSettings,
} from './operationsSchema.js';

export type Env = Readonly<Record<string, string | undefined>>;

export type LoadedSource = SourceConfig & {
  name: string;
  /** The config file that declared it, for error messages. */
  file: string;
  /** SDL of the source (graphql, rest) or of each federation subgraph, read at start-up. */
  sdl?: string;
  subgraphSdls?: Record<string, string>;
  supergraphSdl?: string;
  /** The `tls` files' contents, read at load (src/config/loadUpstreamTls.ts); absent without `tls`. */
  tlsMaterial?: UpstreamTlsMaterial;
};

export type LoadedBff = BffConfig & {
  file: string;
  /** What the BFF's resolvers module exports (checked by compose/, which knows the shape). */
  resolverModule?: Record<string, unknown>;
  /** What the BFF's policies module exports (checked by the authz plugin's checkPolicyFunctions). */
  policyModule?: Record<string, unknown>;
};

export interface PorticoConfig {
  file: string;
  sources: Readonly<Record<string, LoadedSource>>;
  bffs: readonly LoadedBff[];
  /** Where `/metrics` is served; absent means no admin listener. `bearerToken`: `admin.token` as read at start-up. */
  admin?: Omit<AdminConfig, 'token'> & { bearerToken?: string };
  /** Where fallback responses are kept; memory when absent. */
  fallbackCache?: FallbackCacheConfig;
  /** The Redis a fleet shares (root `redis`, else REDIS_URL); absent means in-memory stores. */
  redis?: RedisConfig;
  /** Where the BFFs' response caches keep entries (src/config/responseCacheSchema.ts). */
  responseCache: ResponseCacheStoreConfig;
  /** Tracing merged with the OTEL_* environment (src/config/operationsSchema.ts). */
  tracing: TracingSettings;
  accessLog: AccessLogConfig;
  metrics: RequestMetricsConfig;
  shutdown: ShutdownConfig;
  reload: ReloadConfig;
  fleet: FleetConfig;
  /** Subscriptions this process holds open (src/config/subscriptionsSchema.ts). */
  subscriptions?: ProcessSubscriptionsConfig;
  /** Every config file read (upstream TLS files included), for the reload file watch. */
  files: readonly string[];
}

export interface LoadConfigOptions {
  /**
   * Import the config modules afresh instead of from the module cache, as a reload must (a
   * changed file would otherwise keep its first contents). Modules they import stay cached.
   */
  fresh?: boolean;
}

/**
 * Loads the root config, the sources registry and every BFF config; validates each file once
 * with its own schema so an error names the file and the key; returns a deeply frozen result.
 * Config modules default-export an object or a function of the environment, so the same file
 * serves the demo, the tests (other ports) and production (env-provided URLs).
 */
export async function loadConfig(rootFile: string, env: Env = {}, options: LoadConfigOptions = {}): Promise<PorticoConfig> {
  // A query string makes the module loader treat the file as a new module.
  const bust = cacheBust(options.fresh);
  const root = parse(rootConfigSchema, await importConfig(rootFile, env, bust), rootFile);
  const rootDir = path.dirname(rootFile);

  const sourcesFile = path.resolve(rootDir, root.sources);
  const sourcesRaw = parse(sourcesFileSchema, await importConfig(sourcesFile, env, bust), sourcesFile);
  const sources: Record<string, LoadedSource> = {};
  for (const [name, source] of Object.entries(sourcesRaw)) {
    sources[name] = await loadSourceFiles(name, source, sourcesFile);
  }

  const bffs: LoadedBff[] = [];
  for (const dir of root.bffs) {
    const file = path.resolve(rootDir, dir, 'bff.config.ts');
    const bff = parse(bffSchema, await importConfig(file, env, bust), file);
    bff.sources.forEach((name, i) => {
      if (!(name in sources)) {
        throw new ConfigError(rel(file), `sources[${i}]`, `unknown source "${name}" (known: ${Object.keys(sources).join(', ')})`);
      }
    });
    const loaded: LoadedBff = { ...bff, file };
    if (bff.resolvers) {
      const modulePath = path.resolve(path.dirname(file), bff.resolvers);
      loaded.resolverModule = (await importModule(modulePath, file, 'resolvers', bust)) as Record<string, unknown>;
    }
    if (bff.policies) {
      const modulePath = path.resolve(path.dirname(file), bff.policies);
      loaded.policyModule = (await importModule(modulePath, file, 'policies', bust)) as Record<string, unknown>;
    }
    bffs.push(loaded);
  }
  checkUnique(bffs, rootFile);
  const config: PorticoConfig = {
    file: rootFile,
    sources,
    bffs,
    fallbackCache: root.fallbackCache,
    responseCache: root.responseCache,
    tracing: resolveTracingOrThrow(root.tracing, env, rootFile),
    accessLog: root.accessLog,
    metrics: root.metrics,
    shutdown: root.shutdown,
    reload: root.reload,
    fleet: root.fleet,
    subscriptions: root.subscriptions,
    files: [rootFile, sourcesFile, ...bffs.map((bff) => bff.file), ...Object.values(sourcesRaw).flatMap((source) => ('tls' in source && source.tls ? upstreamTlsFiles(source.tls, sourcesFile) : []))],
  };
  if (root.admin) {
    const { token, ...admin } = root.admin;
    const bearerToken = token === undefined ? undefined : await readAdminToken(token, env, rootFile);
    if (token !== undefined && bearerToken === undefined && !LOOPBACK.has(admin.host)) {
      throw new ConfigError(rel(rootFile), 'admin.token.env', `${'env' in token ? token.env : 'the token'} is not set, and an admin listener on ${admin.host} needs it`);
    }
    config.admin = bearerToken === undefined ? admin : { ...admin, bearerToken };
  }
  // REDIS_URL is the one setting that moves a deployment's shared state to Redis; the root
  // config's `redis` key wins when both are given.
  const redis = root.redis ?? (env.REDIS_URL ? parse(redisSchema, env.REDIS_URL, 'REDIS_URL') : undefined);
  if (redis) config.redis = redis;
  if (root.fallbackCache.store === 'redis' && !redis) {
    throw new ConfigError(rel(rootFile), 'fallbackCache.store', `"redis" needs the root config's "redis" key or REDIS_URL`);
  }
  if (root.responseCache.store === 'redis' && !redis) {
    throw new ConfigError(rel(rootFile), 'responseCache.store', `"redis" needs the root config's "redis" key or REDIS_URL`);
  }
  for (const [name, source] of Object.entries(sources)) {
    if (source.kind === 'redis-events' && !redis) {
      throw new ConfigError(rel(source.file), `${name}.kind`, `"redis-events" needs the root config's "redis" key or REDIS_URL`);
    }
  }
  for (const bff of bffs) {
    if (bff.rateLimit?.store === 'redis' && !redis) {
      throw new ConfigError(rel(bff.file), 'rateLimit.store', `"redis" needs the root config's "redis" key or REDIS_URL`);
    }
    if (bff.auth.revocations.store === 'redis' && !redis) {
      throw new ConfigError(rel(bff.file), 'auth.revocations.store', `"redis" needs the root config's "redis" key or REDIS_URL`);
    }
    // The listener verifies certificates against the CA; the auth stage maps them to partners.
    if ((bff.auth.clientCertificates !== undefined) !== (bff.tls?.clientCaFile !== undefined)) {
      throw bff.tls?.clientCaFile === undefined
        ? new ConfigError(rel(bff.file), 'auth.clientCertificates', 'needs "tls.clientCaFile", the CA that issues the partners\' certificates')
        : new ConfigError(rel(bff.file), 'tls.clientCaFile', 'client certificates would be asked for and never used: list the partners in "auth.clientCertificates"');
    }
  }
  return deepFreeze(config);
}

function resolveTracingOrThrow(tracing: TracingConfig, env: Env, rootFile: string): TracingSettings {
  try {
    return resolveTracing(tracing, env);
  } catch (error) {
    // The environment, not a file, is at fault: name the variable in place of the key.
    throw new ConfigError(rel(rootFile), 'tracing', (error as Error).message);
  }
}

async function loadSourceFiles(name: string, source: SourceConfig, file: string): Promise<LoadedSource> {
  const dir = path.dirname(file);
  const loaded: LoadedSource = { ...source, name, file };
  if (source.kind === 'federation') {
    if (source.supergraph) {
      loaded.supergraphSdl = await readSdl(path.resolve(dir, source.supergraph), file, `${name}.supergraph`);
    } else {
      loaded.subgraphSdls = {};
      for (const [i, subgraph] of (source.subgraphs ?? []).entries()) {
        loaded.subgraphSdls[subgraph.name] = await readSdl(path.resolve(dir, subgraph.schema), file, `${name}.subgraphs[${i}].schema`);
      }
    }
  } else {
    loaded.sdl = await readSdl(path.resolve(dir, source.schema), file, `${name}.schema`);
  }
  // A Redis event source reaches Redis through the root `redis` config, not a source URL.
  if ('tls' in source && source.tls) loaded.tlsMaterial = await loadUpstreamTls(name, source.tls, file);
  return loaded;
}

async function readSdl(sdlPath: string, file: string, key: string): Promise<string> {
  try {
    return await readFile(sdlPath, 'utf8');
  } catch {
    throw new ConfigError(rel(file), key, `cannot read schema file ${rel(sdlPath)}`);
  }
}

function checkUnique(bffs: LoadedBff[], rootFile: string): void {
  const names = new Set<string>();
  const ports = new Set<number>();
  for (const bff of bffs) {
    if (names.has(bff.name)) throw new ConfigError(rel(bff.file), 'name', `another BFF is already named "${bff.name}"`);
    names.add(bff.name);
    // Port 0 asks the OS for a free port (tests), so only fixed ports can clash.
    if (bff.port !== 0 && ports.has(bff.port)) {
      throw new ConfigError(rel(bff.file), 'port', `port ${bff.port} is used by another BFF in ${rel(rootFile)}`);
    }
    ports.add(bff.port);
  }
}

/**
 * Reads one config file outside a root config (`portico serve --traffic FILE`): a JSON file, or a
 * module whose default export is the value (or a function of the environment returning it), the
 * way a BFF file is. Validated with `schema` and frozen; a mistake names the file and the key.
 */
export async function loadConfigFile<T extends z.ZodType>(schema: T, file: string, env: Env = {}, options: LoadConfigOptions = {}): Promise<z.output<T>> {
  let value: unknown;
  if (file.toLowerCase().endsWith('.json')) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new ConfigError(rel(file), '', `cannot read the file: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    try {
      value = JSON.parse(text);
    } catch (error) {
      throw new ConfigError(rel(file), '', `not valid JSON: ${(error as Error).message}`);
    }
  } else {
    value = await importConfig(file, env, cacheBust(options.fresh));
  }
  return deepFreeze(parse(schema, value, file));
}

/** A query string that makes `import()` read a module afresh (a reload), or '' to take the cached one. */
function cacheBust(fresh: boolean | undefined): string {
  return fresh ? `?reload=${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}` : '';
}

async function importConfig(file: string, env: Env, bust = ''): Promise<unknown> {
  const mod = (await importModule(file, file, '', bust)) as { default?: unknown };
  const value = mod.default;
  if (value === undefined) throw new ConfigError(rel(file), '', 'the module has no default export');
  return typeof value === 'function' ? (value as (env: Env) => unknown)(env) : value;
}

async function importModule(modulePath: string, file: string, key: string, bust = ''): Promise<unknown> {
  try {
    // A config file in a folder without `"type": "module"` is CommonJS to the loader, and
    // CommonJS caches by path, not URL: the query string alone would return the old module.
    if (bust) delete createRequire(import.meta.url).cache[modulePath];
    return await importSource(pathToFileURL(modulePath).href + bust);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new ConfigError(rel(file), key, `cannot load ${rel(modulePath)}: ${reason}`);
  }
}

/**
 * Imports a config or BFF module. Run from source (`tsx`), `.ts` files import natively; run from
 * the compiled build (`npm run build`, `node dist/main.js`), Node refuses them, and only then is
 * tsx loaded, scoped to that one import graph: a gateway whose config is JavaScript, or `serve`
 * with no config at all, never pays for the TypeScript loader (about 35 MiB of RSS).
 */
async function importSource(url: string): Promise<unknown> {
  try {
    return await import(url);
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_UNKNOWN_FILE_EXTENSION') throw error;
    const mod = (await importTypeScript(url, import.meta.url)) as { default?: unknown };
    // A file outside a `"type": "module"` package (the image's /etc/portico/portico.config.ts)
    // is compiled to CommonJS, and Node hands its whole `module.exports` over as `default`:
    // the module's own exports are inside, marked `__esModule`.
    const exports = mod.default as { __esModule?: unknown } | undefined;
    return typeof exports === 'object' && exports !== null && exports.__esModule === true ? exports : mod;
  }
}

function parse<T extends z.ZodType>(schema: T, value: unknown, file: string): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const key = issue.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`)).join('');
  const got = issue.path.length ? describe(valueAt(value, issue.path)) : '';
  throw new ConfigError(rel(file), key, issue.message + (got ? `, got ${got}` : ''));
}

function valueAt(value: unknown, keys: readonly PropertyKey[]): unknown {
  let current = value;
  for (const key of keys) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

function describe(value: unknown): string {
  if (value === undefined) return '';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const rel = displayPath;

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    // Modules (resolvers) are namespace objects; freezing them is neither needed nor allowed.
    if (Object.prototype.toString.call(value) === '[object Module]') return value;
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

/**
 * The admin bearer token, from the environment or a file; refused when short or when its file is
 * missing. An unset variable leaves `/admin/*` off (401 to every request) rather than stopping a
 * command that never serves it (`portico plan`, `portico check`); a listener that is not on
 * loopback still refuses to start without a token.
 */
async function readAdminToken(token: { env: string } | { file: string }, env: Env, rootFile: string): Promise<string | undefined> {
  let value: string | undefined;
  if ('env' in token) {
    value = env[token.env];
    if (value === undefined) return undefined;
  } else {
    const file = path.resolve(path.dirname(rootFile), token.file);
    try {
      value = (await readFile(file, 'utf8')).trim();
    } catch (error) {
      throw new ConfigError(rel(rootFile), 'admin.token.file', `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
  }
  if (value.length < 32) {
    throw new ConfigError(rel(rootFile), `admin.token.${'env' in token ? 'env' : 'file'}`, 'the token must have at least 32 characters (e.g. `openssl rand -hex 32`)');
  }
  return value;
}
