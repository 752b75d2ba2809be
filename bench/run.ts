/**
 * Portico against Hive Gateway, side by side in one run (bench/README.md has the method).
 *
 *   npm run bench          every scenario, 5 interleaved rounds (bounded: < 20 min)
 *   npm run bench:quick    every scenario, 1 round (bounded: < 4 min)
 *   node --import tsx bench/run.ts [--quick] [--scenarios federation,single,policies,honest,bff,bff-users]
 *                                  [--rounds N] [--duration S] [--warmup S] [--connections N] [--cpu-prof]
 *                                  [--without 'access log,rate limit'] ((c) without those policies: which part costs what)
 *                                  [--paired-restarts] ((c)'s paired windows each on a fresh start of both Portico gateways)
 *
 * The gateways under test run on CPU 0; subgraphs (and the demo services of (e)), Redis, the IdP and
 * the load generator on CPU 1.
 * Every process started here is stopped at the end, on an error, on Ctrl-C and at the time limit.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { graphql } from 'graphql';
import { Redis } from 'ioredis';
import { BFF_QUERY, bffQuery, FEDERATION_QUERY, SINGLE_SUBGRAPH_QUERY } from './queries.js';
import { referenceSchema } from './subgraphs/schemas.js';
import { bffReferenceSchema } from './bff/bffReferenceSchema.js';
import { composeDemoSupergraph, type DemoUrls } from './mesh/composeDemoSupergraph.js';
import { writeBenchSupergraph } from './lib/supergraph.js';
import { startGuardedRun } from './lib/guardedRun.js';
import { freePort, type ProcessGroup, stopProcess, waitForLine, waitUntil, WrongAnswer, type Started } from './lib/processes.js';
import { cpuSeconds, peakRssMiB, waitForQuietProcesses } from './lib/procStats.js';
import type { LoadJob, LoadResult } from './lib/loadgen.js';
import { startLoadgen } from './lib/loadgenProcess.js';
import { failuresOf, formatTable, median, summarise, verdictLine, type Measurement } from './lib/report.js';
import { summariseProfile, type CpuProfile } from './lib/cpuProfile.js';
import { formatChainCost, requestCpu, type LoadWindow, type RequestCpu } from './lib/requestCpu.js';
import { BENCH_AUDIENCE, BENCH_ISSUER, BENCH_MAX_COST, benchBffPolicies, benchRootPolicies, leftOut } from './config/benchPolicies.js';

const repoRoot = path.resolve(import.meta.dirname, '..');
const GATEWAY_CPU = 0;
const REST_CPU = 1;

interface Profile {
  rounds: number;
  durationSeconds: number;
  warmupSeconds: number;
  connections: number;
  /** The whole run, start-up included, is stopped past this. */
  limitMs: number;
}

// Bounds for a shared 2-core machine: at a load of 20, starting every process takes minutes.
const FULL: Profile = { rounds: 5, durationSeconds: 8, warmupSeconds: 5, connections: 50, limitMs: 20 * 60_000 };
const QUICK: Profile = { rounds: 1, durationSeconds: 3, warmupSeconds: 2, connections: 50, limitMs: 4 * 60_000 };

const SCENARIOS = ['federation', 'single', 'policies', 'honest', 'bff', 'bff-users'] as const;
type ScenarioName = (typeof SCENARIOS)[number];

interface Target {
  id: string;
  /** The GraphQL endpoint. */
  url: string;
  /** The process whose CPU and memory are measured. */
  pid: number;
  /**
   * Sent with every request to this target: the bearer token for a gateway that checks one. A
   * gateway without auth gets none (Portico refuses a bearer token it has no way to verify).
   */
  headers?: Record<string, string>;
}

interface Scenario {
  name: ScenarioName;
  title: string;
  query: string;
  targets: Target[];
  /** Which target is "portico" and which "hive" in the closing line. */
  portico: string;
  hive: string;
  /**
   * A second peer the Portico targets are also related to, round by round (Hive Gateway with the
   * Rust query planner): its own ratio table and line, beside the verdict against `hive`.
   */
  peer?: string;
  /** The `data` every response must carry (the scenario's query answered by a reference). */
  expectedData: unknown;
  /** Requests the upstreams of this scenario have received so far. */
  upstreamCalls?: () => Promise<number>;
  connectionHeaders?: Record<string, string>[];
  /** Connection i's own query and answer (with `connectionHeaders[i]`'s user): scenario (e2). */
  connectionBodies?: { body: string; expectedData: unknown }[];
  /** Lines printed with the table (which policies were on, …). */
  notes: string[];
}

interface ScenarioOutcome {
  name: ScenarioName;
  line: string;
  extra: string[];
}

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

// Everything printed to stdout is also kept, to be written to .bench-results/ at the end.
const printed: string[] = [];
function out(text: string): void {
  printed.push(text);
  process.stdout.write(text);
}

/** `--without`: the policies (c) leaves out, as BENCH_WITHOUT (bench/config/benchPolicies.ts). */
let without = '';
/** `--paired-restarts`: both Portico gateways started afresh before each of (c)'s paired windows after the first. */
let pairedRestarts = false;

/** How a Portico target is started: its compiled build unless `--from-source` (set in main). */
let porticoEntry: string[] = ['--import', 'tsx', 'src/main.ts'];

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      scenarios: { type: 'string' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      'cpu-prof': { type: 'boolean', default: false },
      'from-source': { type: 'boolean', default: false },
      // (c) without some of its policies (comma-separated names as (c) prints them, "access log"
      // included): what the rest of the chain costs, to find which policy the cost is in.
      without: { type: 'string' },
      // (c)'s paired windows each on a fresh start of both Portico gateways: the spread of (c)
      // is between starts (an A/A of two identical gateways measured up to ×1.21 apart), so the
      // median over windows becomes a median over starts.
      'paired-restarts': { type: 'boolean', default: false },
    },
  });
  const base = values.quick ? QUICK : FULL;
  const profile: Profile = {
    ...base,
    rounds: positive(values.rounds, base.rounds, '--rounds'),
    durationSeconds: positive(values.duration, base.durationSeconds, '--duration'),
    warmupSeconds: positive(values.warmup, base.warmupSeconds, '--warmup'),
    connections: positive(values.connections, base.connections, '--connections'),
  };
  without = values.without ?? '';
  pairedRestarts = values['paired-restarts'] ?? false;
  const selected = (values.scenarios?.split(',') ?? [...SCENARIOS]).map((name) => {
    if (!(SCENARIOS as readonly string[]).includes(name)) throw new Error(`unknown scenario "${name}" (known: ${SCENARIOS.join(', ')})`);
    return name as ScenarioName;
  });

  const { group, tmp, finish } = await startGuardedRun({
    tmpPrefix: 'portico-bench-',
    limitMs: profile.limitMs,
    log,
    // A gateway writes its profile as it exits: a large one, on a busy machine, takes longer than
    // the usual 3 s (the policy gateway's never reached the disk), and a SIGKILL loses it.
    ...(values['cpu-prof'] ? { stopGraceMs: 60_000 } : {}),
  });

  const outcomes: ScenarioOutcome[] = [];
  try {
    log(`bench: ${selected.join(', ')}; ${profile.rounds} round(s) × ${profile.durationSeconds} s after ${profile.warmupSeconds} s warm-up, ${profile.connections} connections`);
    if (values['cpu-prof']) {
      profileDir = path.join(repoRoot, '.bench-results', `profile-${new Date().toISOString().replace(/[:.]/g, '-')}`);
      log(`bench: --cpu-prof: Portico runs under the profiler (slower: its ratios are not comparable); profiles go to ${path.relative(repoRoot, profileDir)}`);
    }
    if (!values['from-source']) {
      // Portico runs as a deployment runs it, compiled (Hive Gateway ships compiled JavaScript
      // too): through tsx, the TypeScript loader alone adds some 35 MiB of RSS and its hooks run
      // on a thread of their own. `--from-source` runs src/ through tsx instead.
      log('bench: building Portico (npm run build) to run it from dist/');
      execFileSync(process.execPath, ['--import', 'tsx', 'scripts/build.ts'], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'] });
      porticoEntry = ['dist/main.js'];
    }
    const env = await startEnvironment(group, tmp, selected, profile.connections);
    for (const name of selected) {
      const scenario = env.scenario(name);
      if (typeof scenario === 'string') {
        outcomes.push({ name, line: `bench ${name}: skipped (${scenario})`, extra: [] });
        continue;
      }
      outcomes.push(await runScenario(scenario, env, profile));
    }
    await env.close();
  } finally {
    await finish();
  }
  await summariseProfiles();
  out('\n');
  // The verdict lines come last, one per scenario and nothing between them, for scripts that read them.
  for (const outcome of outcomes) for (const line of outcome.extra) out(`${line}\n`);
  for (const outcome of outcomes) out(`${outcome.line}\n`);
  const resultsDir = path.join(repoRoot, '.bench-results');
  await mkdir(resultsDir, { recursive: true });
  const header = `# bench ${new Date().toISOString()} (${values.quick ? 'quick' : 'full'}: ${selected.join(', ')})\n`;
  const file = path.join(resultsDir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.md`);
  await writeFile(file, header + printed.join(''));
  await writeFile(path.join(resultsDir, 'bench-latest.md'), header + printed.join(''));
  log(`bench: results written to ${path.relative(repoRoot, file)}`);
  return outcomes.some((outcome) => outcome.line.endsWith('FAILED')) ? 1 : 0;
}

// ---------------------------------------------------------------------------------------------
// The environment: subgraphs, supporting services, gateways, load generator

interface Environment {
  scenario(name: ScenarioName): Scenario | string;
  load(job: LoadJob): Promise<LoadResult>;
  /** Two loads at once, from two load generator processes (the paired measurement of (c)). */
  loadPair(a: LoadJob, b: LoadJob): Promise<[LoadResult, LoadResult]>;
  upstreamCalls(): Promise<number>;
  expectedData(query: string): unknown;
  /** Probes run before the policies scenario; returns the report lines. */
  probePolicies(): Promise<string[]>;
  accessLogLines(): Promise<number>;
  /** Scripts Redis has run so far (revocation checks, rate-limit charges); undefined without Redis. */
  redisScriptCalls(): Promise<number | undefined>;
  /** Stops these gateways and starts them again as they were first started; their targets then name the new processes. */
  restart(ids: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

async function startEnvironment(group: ProcessGroup, tmp: string, selected: readonly ScenarioName[], connections: number): Promise<Environment> {
  const needs = (...names: ScenarioName[]) => names.some((name) => selected.includes(name));
  const node = process.execPath;

  const subgraphs = group.start({
    name: 'subgraphs',
    cpu: REST_CPU,
    command: node,
    args: ['--import', 'tsx', 'bench/subgraphs/server.ts'],
    cwd: repoRoot,
    stdin: 'pipe',
  });
  // Start-up waits are generous: on the shared VM at a load of 30+, a tsx start-up takes a minute.
  const subgraphUrls = JSON.parse(await waitForLine(subgraphs, 'READY ', 120_000)) as Record<string, string>;
  const supergraph = await writeBenchSupergraph(tmp, subgraphUrls);
  log(`bench: subgraphs up, supergraph composed (${supergraph})`);

  const expected = new Map<string, unknown>();
  for (const [query, schema] of [
    [FEDERATION_QUERY, referenceSchema()],
    [SINGLE_SUBGRAPH_QUERY, referenceSchema()],
    [BFF_QUERY, bffReferenceSchema()],
  ] as const) {
    const result = await graphql({ schema, source: query });
    if (result.errors) throw new Error(`reference schema cannot answer a bench query: ${result.errors[0]!.message}`);
    expected.set(query, JSON.parse(JSON.stringify(result.data)));
  }

  // Scenario (e)'s upstreams: the demo's four services (subgraphs/), each its own process on CPU 1.
  let demoUrls: DemoUrls | undefined;
  if (needs('bff', 'bff-users')) {
    const names = ['users', 'orders', 'products', 'inventory'] as const;
    const started = names.map((name) =>
      group.start({
        name: `demo ${name}`,
        cpu: REST_CPU,
        command: node,
        args: ['--import', 'tsx', 'subgraphs/run.ts', name, '--port', '0', '--exit-with-stdin'],
        cwd: repoRoot,
        stdin: 'pipe',
      }),
    );
    // Four tsx start-ups at once on one shared core: slow on a busy machine.
    const urls = await Promise.all(started.map((demo, i) => waitForLine(demo, `READY ${names[i]} `, 120_000)));
    demoUrls = Object.fromEntries(names.map((name, i) => [name, urls[i]!.trim()])) as unknown as DemoUrls;
    log(`bench: demo services up (${Object.values(demoUrls).join(', ')})`);
  }

  // Supporting services for the policy chain and the honest load.
  let redisUrl: string | undefined;
  let idpUrl: string | undefined;
  const problems: string[] = [];
  if (needs('policies', 'honest', 'bff', 'bff-users')) {
    const redisPort = await freePort();
    const redis = group.start({
      name: 'redis',
      cpu: REST_CPU,
      command: 'redis-server',
      args: ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    });
    const idp = group.start({
      name: 'idp',
      cpu: REST_CPU,
      command: node,
      args: ['--import', 'tsx', 'subgraphs/run.ts', 'idp', '--exit-with-stdin'],
      cwd: repoRoot,
      stdin: 'pipe',
    });
    const [redisReady, idpReady] = await Promise.allSettled([
      waitUntil('redis', () => pingRedis(`redis://127.0.0.1:${redisPort}`), 10_000, redis),
      waitForLine(idp, 'READY idp ', 120_000),
    ]);
    if (redisReady.status === 'fulfilled') redisUrl = `redis://127.0.0.1:${redisPort}`;
    else problems.push(`redis-server did not start: ${(redisReady.reason as Error).message}`);
    if (idpReady.status === 'fulfilled') idpUrl = idpReady.value.trim();
    else problems.push(`the demo IdP did not start: ${(idpReady.reason as Error).message}`);
  }
  const jwksUrl = idpUrl ? `${idpUrl}/.well-known/jwks.json` : undefined;
  const tokens = idpUrl ? await mintTokens(idpUrl, connections + 1) : [];
  const sharedToken = tokens[0];
  const ownTokens = tokens.slice(1);
  // (e) reads u1's own data (orders, stock, warehouses): a token for u1 with the scopes the web
  // BFF's README gives it, for the bench audience.
  const webToken = idpUrl && needs('bff', 'bff-users') ? await mintToken(idpUrl, { sub: 'u1', tenant: 't1', plan: 'bench', scopes: ['orders:read', 'inventory:read'] }) : undefined;
  // (e2) gives each connection its own user (`bench-user-<i>`, which the demo services answer
  // for: subgraphs/users/data.ts, subgraphs/orders/data.ts) and tenant, as (d) does, asking for
  // that user's own data: no two connections' requests are the same exchange upstream.
  const webUsers: { body: string; expectedData: unknown; headers: Record<string, string> }[] = [];
  if (idpUrl && needs('bff-users')) {
    const reference = bffReferenceSchema();
    for (let i = 1; i <= connections; i++) {
      const sub = `bench-user-${i}`;
      const query = bffQuery(sub);
      const result = await graphql({ schema: reference, source: query });
      if (result.errors) throw new Error(`reference schema cannot answer (e2) for ${sub}: ${result.errors[0]!.message}`);
      const token = await mintToken(idpUrl, { sub, tenant: `bench-tenant-${i}`, plan: 'bench', scopes: ['orders:read', 'inventory:read'] });
      webUsers.push({ body: JSON.stringify({ query }), expectedData: JSON.parse(JSON.stringify(result.data)), headers: { authorization: `Bearer ${token}` } });
    }
  }

  // Signs the identity headers Portico sends to sources (required by `portico start` outside demo mode).
  const identitySecret = randomBytes(32).toString('hex');

  // Gateways under test, all on CPU 0, started together.
  const starting: Promise<void>[] = [];
  const gateways = new Map<string, Target>();
  const failedGateways = new Map<string, string>();
  const federationExpected = expected.get(FEDERATION_QUERY);
  // How each gateway was started, and its process now: `restart` starts it again the same way.
  const relaunchers = new Map<string, () => Promise<{ started: Started; url: string }>>();
  const processes = new Map<string, Started>();
  const launch = (
    id: string,
    start: () => Promise<{ started: Started; url: string }>,
    headers: Record<string, string> = {},
    probe: { query: string; expected: unknown } = { query: FEDERATION_QUERY, expected: federationExpected },
  ) => {
    // Every gateway starts at once on CPU 0: on a busy shared machine that takes minutes.
    const ready = async () => {
      const { started, url } = await start();
      processes.set(id, started);
      await waitUntil(id, () => answers(url, probe.query, probe.expected, headers), 240_000, started);
      return { started, url };
    };
    relaunchers.set(id, ready);
    starting.push(
      ready()
        .then(({ started, url }) => {
          gateways.set(id, { id, url, pid: started.pid, ...(Object.keys(headers).length ? { headers } : {}) });
          log(`bench: ${id} ready at ${url} (pid ${started.pid})`);
        })
        .catch((error: unknown) => {
          failedGateways.set(id, error instanceof Error ? error.message : String(error));
          log(`bench: ${id} failed to start: ${failedGateways.get(id)}`);
        }),
    );
  };

  /** `portico serve` over the bench supergraph; `name` also names its profile. */
  const launchServe = (id: string, name: string, extraArgs: string[] = []) =>
    launch(id, async () => {
      const port = await freePort();
      const started = group.start({
        name,
        cpu: GATEWAY_CPU,
        command: node,
        // The bench query costs 24 420 at the assumed list size of 10, above the BFF default ceiling.
        args: [...profilerArgs(name), ...porticoEntry, 'serve', '--supergraph', supergraph, '--port', String(port), '--host', '127.0.0.1', '--max-cost', String(BENCH_MAX_COST), ...extraArgs],
        cwd: repoRoot,
        env: { LOG_LEVEL: 'warn', NODE_ENV: 'production' },
        stdout: 'ignore',
      });
      return { started, url: `http://127.0.0.1:${port}/graphql` };
    });
  const needsBareGateways = needs('federation', 'single', 'policies');
  if (needsBareGateways) launchServe('portico', 'portico');
  // The same gateway with the query planner off: what planning once per document buys.
  if (needs('federation')) launchServe('portico (stitching)', 'portico-stitching', ['--no-query-planner']);
  // What serve's transport chain (breaker, retry budget, fallback cache) costs: the same gateway without it.
  if (needs('federation')) launchServe('portico (no transport chain)', 'portico-bare-transport', ['--no-breaker', '--no-retries', '--no-fallback-cache']);
  /** `hive-gateway supergraph FILE` with `extraArgs`: one process (--fork 1) on CPU 0, as Portico. */
  const launchHive = (
    id: string,
    file: string,
    extraArgs: string[] = [],
    env: Record<string, string> = {},
    headers: Record<string, string> = {},
    probe?: { query: string; expected: unknown },
  ) =>
    launch(
      id,
      async () => {
        const port = await freePort();
        const started = group.start({
          name: id,
          cpu: GATEWAY_CPU,
          command: node,
          args: [hiveBin(), 'supergraph', file, '--port', String(port), '--host', '127.0.0.1', '--fork', '1', ...extraArgs],
          cwd: repoRoot,
          // graphql-js skips its development-only checks in production, for both gateways alike;
          // --fork 1 keeps Hive to this one process, as Portico is.
          env: { ...env, NODE_ENV: 'production' },
          stdout: 'ignore',
        });
        return { started, url: `http://127.0.0.1:${port}/graphql` };
      },
      headers,
      probe,
    );
  if (needsBareGateways) launchHive('hive', supergraph, ['--jit']);
  // The second peer of (a) and (b): the same Hive Gateway with Hive Router's Rust query planner.
  if (needs('federation', 'single')) launchHive('hive (rust planner)', supergraph, ['-c', 'bench/hive/router-runtime.gateway.config.ts']);

  let accessLogFile: string | undefined;
  const accessLogOff = leftOut({ BENCH_WITHOUT: without }, 'access log');
  let adminPort: number | undefined;
  const policyEnv: Record<string, string> = {};
  if (needs('policies', 'honest')) {
    const port = await freePort();
    adminPort = await freePort();
    Object.assign(policyEnv, {
      BENCH_IDENTITY_SECRET: identitySecret,
      BENCH_PORT: String(port),
      BENCH_ADMIN_PORT: String(adminPort),
      ...(redisUrl ? { BENCH_REDIS_URL: redisUrl } : {}),
      ...(jwksUrl ? { BENCH_JWKS_URL: jwksUrl } : {}),
      ...(without ? { BENCH_WITHOUT: without } : {}),
    });
    for (const [name, url] of Object.entries(subgraphUrls)) policyEnv[`BENCH_${name.toUpperCase()}_URL`] = url;
    accessLogFile = path.join(tmp, 'access.log');
    const logPath = accessLogFile;
    await (await open(logPath, 'w')).close();
    launch(
      'portico+policies',
      async () => {
        // Appended to: a restart (--paired-restarts) adds its lines to the same file.
        const logFile = await open(logPath, 'a');
        const started = group.start({
          name: 'portico+policies',
          cpu: GATEWAY_CPU,
          command: node,
          args: [...profilerArgs('portico+policies'), ...porticoEntry, 'start', '--config', 'bench/config/policies.config.ts'],
          cwd: repoRoot,
          // info: the access log is one of the policies; it goes to a file, as in production.
          env: { ...policyEnv, LOG_LEVEL: accessLogOff ? 'warn' : 'info', NODE_ENV: 'production' },
          stdout: logFile.fd,
        });
        // The child has its own copy of the descriptor.
        await logFile.close();
        return { started, url: `http://127.0.0.1:${port}/graphql` };
      },
      sharedToken && !leftOut(policyEnv, 'jwt') ? { authorization: `Bearer ${sharedToken}` } : {},
    );
  }
  if (needs('honest') && jwksUrl) {
    launchHive(
      'hive+jwt',
      supergraph,
      ['-c', 'bench/hive/jwt.gateway.config.ts'],
      { BENCH_JWKS_URL: jwksUrl, BENCH_ISSUER, BENCH_AUDIENCE },
      sharedToken ? { authorization: `Bearer ${sharedToken}` } : {},
    );
  }

  // (e) the BFF path: the web BFF with every policy on, and Hive Gateway over the same four demo
  // services composed by GraphQL Mesh.
  let webPolicies: string[] = [];
  if (demoUrls) {
    const bffProbe = { query: BFF_QUERY, expected: expected.get(BFF_QUERY) };
    const meshSupergraph = await composeDemoSupergraph(tmp, demoUrls);
    log(`bench: the demo services composed by GraphQL Mesh (${meshSupergraph})`);
    launchHive('hive+mesh', meshSupergraph, ['-c', 'bench/hive/mesh.gateway.config.ts'], {}, {}, bffProbe);
    const port = await freePort();
    const webEnv: Record<string, string> = {
      BENCH_IDENTITY_SECRET: identitySecret,
      BENCH_PORT: String(port),
      BENCH_ADMIN_PORT: String(await freePort()),
      USERS_URL: demoUrls.users,
      ORDERS_URL: demoUrls.orders,
      PRODUCTS_URL: demoUrls.products,
      INVENTORY_URL: demoUrls.inventory,
      ...(redisUrl ? { BENCH_REDIS_URL: redisUrl } : {}),
      ...(jwksUrl ? { BENCH_JWKS_URL: jwksUrl } : {}),
    };
    webPolicies = [...benchBffPolicies(webEnv).on, ...benchRootPolicies(webEnv).on];
    const logFile = await open(path.join(tmp, 'web-access.log'), 'w');
    launch(
      'portico web BFF',
      async () => {
        const started = group.start({
          name: 'portico web BFF',
          cpu: GATEWAY_CPU,
          command: node,
          args: [...profilerArgs('portico-web'), ...porticoEntry, 'start', '--config', 'bench/config/web.config.ts'],
          cwd: repoRoot,
          // As (c): the access log at info level, to a file.
          env: { ...webEnv, LOG_LEVEL: 'info', NODE_ENV: 'production' },
          stdout: logFile.fd,
        });
        await logFile.close();
        return { started, url: `http://127.0.0.1:${port}/graphql` };
      },
      webToken ? { authorization: `Bearer ${webToken}` } : {},
      bffProbe,
    );
  }
  let proxyTarget: Target | undefined;
  if (needs('single')) {
    const proxy = group.start({
      name: 'proxy',
      cpu: GATEWAY_CPU,
      command: node,
      args: ['--import', 'tsx', 'bench/proxy.ts', subgraphUrls.products!],
      cwd: repoRoot,
      stdin: 'pipe',
    });
    starting.push(
      waitForLine(proxy, 'READY ', 120_000).then(
        (url) => void (proxyTarget = { id: 'proxy (floor)', url: url.trim(), pid: proxy.pid }),
        (error: unknown) => void failedGateways.set('proxy (floor)', (error as Error).message),
      ),
    );
  }

  // The load generator, its own process on the other core (bench/lib/loadgenProcess.ts).
  const loadgen = startLoadgen(group, REST_CPU, repoRoot);
  const { load } = loadgen;
  // A second one for (c)'s paired windows, which load two gateways at once.
  const pairLoadgen = needs('policies') ? startLoadgen(group, REST_CPU, repoRoot) : undefined;
  const loadPair = (a: LoadJob, b: LoadJob) => {
    if (!pairLoadgen) throw new Error('loadPair: no second load generator (only (c) has one)');
    return Promise.all([load(a), pairLoadgen.load(b)]);
  };
  await Promise.all(starting);

  const upstreamCalls = async () => {
    let total = 0;
    for (const url of Object.values(subgraphUrls)) {
      const stats = (await (await fetch(new URL('/__stats', url))).json()) as { requests: number };
      total += stats.requests;
    }
    return total;
  };

  // The demo services count every request but their admin routes (subgraphs/README.md).
  const demoCalls = async () => {
    let total = 0;
    for (const url of Object.values(demoUrls ?? {})) {
      const stats = (await (await fetch(new URL('/__admin/stats', url))).json()) as { requests: number };
      total += stats.requests;
    }
    return total;
  };

  const directTarget: Target = { id: 'subgraph (direct)', url: subgraphUrls.products!, pid: subgraphs.pid };
  const gatewayOrProblem = (...ids: string[]): Target[] | string => {
    const missing = ids.filter((id) => !gateways.has(id));
    if (missing.length === 0) return ids.map((id) => gateways.get(id)!);
    return missing.map((id) => `${id} did not start: ${failedGateways.get(id) ?? 'not started'}`).join('; ');
  };
  const bffPolicies = benchBffPolicies(policyEnv);
  const rootPolicies = benchRootPolicies(policyEnv);
  const configured = [...bffPolicies.on, ...rootPolicies.on];
  const missing = [...bffPolicies.missing, ...rootPolicies.missing, ...problems];

  return {
    expectedData: (query) => expected.get(query),
    load,
    loadPair,
    upstreamCalls,
    scenario(name) {
      switch (name) {
        case 'federation': {
          const targets = gatewayOrProblem('portico', 'portico (no transport chain)', 'portico (stitching)', 'hive', 'hive (rust planner)');
          if (typeof targets === 'string') return failedScenario(name, targets);
          return {
            name,
            title: '(a) federation: accounts, inventory, products, reviews; one nested query across all four',
            query: FEDERATION_QUERY,
            expectedData: expected.get(FEDERATION_QUERY),
            targets,
            portico: 'portico',
            hive: 'hive',
            peer: 'hive (rust planner)',
            notes: [
              'Portico: `portico serve --supergraph` (query planner on, the default); portico (stitching): the same with `--no-query-planner`; Hive: `hive-gateway supergraph --jit` (graphql-jit, the reference configuration of issue 17); hive (rust planner): the same with `@graphql-hive/router-runtime` (bench/hive/router-runtime.gateway.config.ts); identical requests.',
            ],
          };
        }
        case 'single': {
          const targets = gatewayOrProblem('portico', 'hive', 'hive (rust planner)');
          if (typeof targets === 'string') return failedScenario(name, targets);
          if (!proxyTarget) return failedScenario(name, `the proxy did not start: ${failedGateways.get('proxy (floor)')}`);
          return {
            name,
            title: '(b) one subgraph: the products query, straight to the subgraph, through a bare proxy, through each gateway',
            query: SINGLE_SUBGRAPH_QUERY,
            expectedData: expected.get(SINGLE_SUBGRAPH_QUERY),
            targets: [directTarget, proxyTarget, ...targets],
            portico: 'portico',
            hive: 'hive',
            peer: 'hive (rust planner)',
            notes: ['"subgraph (direct)" is measured on the subgraph process (CPU 1, shared with the load generator).'],
          };
        }
        case 'policies': {
          const targets = gatewayOrProblem('portico', 'portico+policies', 'hive');
          if (typeof targets === 'string') return failedScenario(name, targets);
          return {
            name,
            title: '(c) the policy chain: bare Portico, Portico with every policy on, bare Hive',
            query: FEDERATION_QUERY,
            expectedData: expected.get(FEDERATION_QUERY),
            targets,
            portico: 'portico+policies',
            hive: 'hive',
            notes: [
              `policies configured: ${configured.join(', ') || 'none'}; access log: ${accessLogOff ? 'off (warn level)' : 'info level to a file'}`,
              ...(without ? [`left out on purpose (--without): ${[...bffPolicies.without, ...rootPolicies.without, ...(accessLogOff ? ['access log'] : [])].join(', ') || 'nothing matched'}`] : []),
              'per-subgraph transport (breaker, retry budget, fallback cache): the BFF defaults (src/config/resilienceSchema.ts)',
              'portico+policies gets one bearer token on every request; the bare gateways get none.',
              ...(missing.length ? [`policies missing: ${missing.join('; ')}`] : []),
            ],
          };
        }
        case 'honest': {
          if (!idpUrl || ownTokens.length === 0) return `no tokens: the demo IdP did not start (${problems.join('; ') || 'not needed'})`;
          if (!bffPolicies.on.includes('jwt')) return 'Portico has no JWT auth config key yet, so per-connection tokens would not be verified';
          const targets = gatewayOrProblem('portico+policies', 'hive+jwt');
          if (typeof targets === 'string') return failedScenario(name, targets);
          return {
            name,
            title: '(d) honest load: every connection its own bearer token (own subject and tenant)',
            query: FEDERATION_QUERY,
            expectedData: expected.get(FEDERATION_QUERY),
            targets,
            portico: 'portico+policies',
            hive: 'hive+jwt',
            connectionHeaders: ownTokens.map((token) => ({ authorization: `Bearer ${token}` })),
            notes: [
              `${ownTokens.length} distinct tokens. Portico: every policy on (as in (c)), forwarding the verified identity;`,
              'Hive: JWT verification (same JWKS, issuer, audience) and the token forwarded to subgraphs, so neither gateway can share one caller\'s subgraph answer with another.',
            ],
          };
        }
        case 'bff':
        case 'bff-users': {
          if (!webToken) return `no token: the demo IdP did not start (${problems.join('; ') || 'not needed'})`;
          if (!redisUrl) return `redis-server did not start (${problems.join('; ')}), and the web BFF keeps the demo's rate limit without it`;
          const targets = gatewayOrProblem('portico web BFF', 'hive+mesh');
          if (typeof targets === 'string') return failedScenario(name, targets);
          const distinct = name === 'bff-users';
          if (distinct && webUsers.length === 0) return `no per-connection tokens: the demo IdP did not start (${problems.join('; ') || 'not needed'})`;
          return {
            name,
            title: distinct
              ? '(e2) bff, distinct users: (e) with every connection its own user, tenant and token, each asking for its own data'
              : "(e) the BFF path: the web BFF's README query over users (GraphQL), orders (federation), products and inventory (REST)",
            query: BFF_QUERY,
            expectedData: distinct ? webUsers[0]!.expectedData : expected.get(BFF_QUERY),
            ...(distinct
              ? { connectionHeaders: webUsers.map((user) => user.headers), connectionBodies: webUsers.map(({ body, expectedData }) => ({ body, expectedData })) }
              : {}),
            targets,
            portico: 'portico web BFF',
            hive: 'hive+mesh',
            upstreamCalls: demoCalls,
            notes: [
              `Portico: the demo's web BFF (bffs/web, its dashboard resolver included) with every policy of (c) on: ${webPolicies.join(', ') || 'none'}; access log at info level to a file; ${distinct ? `${webUsers.length} connections, each with its own user (bench-user-<i>) and tenant, asking for that user's data: no in-flight request is shared between connections` : 'a token for u1 on every request (connections asking the same thing: in-flight dedup shares their upstream calls; (e2) does not)'}.`,
              ...(distinct ? ['Answers are checked against each user\'s reference answer (any connection\'s answer is accepted: autocannon does not say which connection a body came from).'] : []),
              'Hive: `hive-gateway supergraph` over the same four services composed by GraphQL Mesh (bench/mesh/composeDemoSupergraph.ts: products and inventory through @omnigraph/json-schema, `dashboard` by @resolveTo and one resolver, bench/hive/mesh.gateway.config.ts); no policies.',
              'The demo services (subgraphs/) run one process each on CPU 1 and compute every answer (no replay cache, unlike the bench subgraphs of (a)-(d)).',
            ],
          };
        }
      }
    },
    async probePolicies() {
      const target = gateways.get('portico+policies');
      if (!target) return [];
      return probePolicyChain(target.url, {
        token: sharedToken,
        redisUrl: bffPolicies.on.includes('rate limit (redis)') ? redisUrl : undefined,
        adminPort: rootPolicies.on.includes('metrics') ? adminPort : undefined,
      });
    },
    async accessLogLines() {
      if (!accessLogFile) return 0;
      const text = await readFile(accessLogFile, 'utf8');
      return text.split('\n').filter((line) => line.includes('"msg":"request"')).length;
    },
    async redisScriptCalls() {
      return redisUrl ? scriptCalls(redisUrl) : undefined;
    },
    async restart(ids) {
      await Promise.all(
        ids.map(async (id) => {
          const target = gateways.get(id);
          const running = processes.get(id);
          const relaunch = relaunchers.get(id);
          if (!target || !running || !relaunch) throw new Error(`${id} cannot be restarted: it did not start`);
          await stopProcess(running);
          const { started, url } = await relaunch();
          // The scenario holds this object: it now names the new process.
          target.url = url;
          target.pid = started.pid;
          log(`bench: ${id} restarted at ${url} (pid ${started.pid})`);
        }),
      );
    },
    async close() {
      loadgen.close();
      pairLoadgen?.close();
    },
  };

  // A scenario whose gateways did not start is FAILED (not skipped): something is broken.
  function failedScenario(name: ScenarioName, why: string): Scenario {
    return { name, title: why, query: '', expectedData: undefined, targets: [], portico: '', hive: '', notes: [`FAILED before any load: ${why}`] };
  }
}

// ---------------------------------------------------------------------------------------------
// Running a scenario

async function runScenario(scenario: Scenario, env: Environment, profile: Profile): Promise<ScenarioOutcome> {
  out(`\n## ${scenario.name}: ${scenario.title}\n\n`);
  if (scenario.targets.length === 0) {
    for (const note of scenario.notes) out(`${note}\n`);
    return { name: scenario.name, line: verdictLine(scenario.name, undefined, false), extra: [] };
  }
  for (const note of scenario.notes) out(`${note}\n`);
  if (scenario.name === 'policies') for (const line of await env.probePolicies()) out(`${line}\n`);
  const accessLogBefore = scenario.name === 'policies' ? await env.accessLogLines() : 0;

  const expectedData = scenario.expectedData;
  const upstreamCalls = scenario.upstreamCalls ?? (() => env.upstreamCalls());
  const body = JSON.stringify({ query: scenario.query });
  const job = (target: Target, seconds: number): LoadJob => ({
    url: target.url,
    body,
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json', ...target.headers },
    ...(scenario.connectionHeaders ? { connectionHeaders: scenario.connectionHeaders } : {}),
    ...(scenario.connectionBodies ? { connectionBodies: scenario.connectionBodies } : {}),
    connections: profile.connections,
    durationSeconds: seconds,
    expectedData,
  });

  const problems: string[] = [];
  const warmupFailures: Record<string, number> = {};
  const note = (target: Target, phase: string, load: LoadResult) => {
    const failed = failuresOf(load);
    if (failed === 0) return;
    problems.push(
      `${target.id} ${phase}: ${load.non2xx} non-2xx, ${load.errors} socket errors, ${load.timeouts} timeouts, ${load.mismatches} wrong answers` +
        (load.firstMismatch ? `; first wrong body: ${load.firstMismatch}` : ''),
    );
  };

  for (const target of scenario.targets) {
    const warm = await windowed(target.id, () => env.load(job(target, profile.warmupSeconds)));
    warmupFailures[target.id] = failuresOf(warm);
    note(target, 'warm-up', warm);
  }

  const measurements: Measurement[] = [];
  for (let round = 1; round <= profile.rounds; round++) {
    // Alternate the order each round, so neither gateway always runs right after the other.
    const order = round % 2 === 1 ? scenario.targets : [...scenario.targets].reverse();
    for (const target of order) {
      // Every run starts on a quiet core: the previous target's leftover GC is not this one's cost.
      const quiet = await waitForQuietProcesses(scenario.targets.map((t) => t.pid));
      if (quiet.waitedMs > 1_000) log(`bench: waited ${quiet.waitedMs} ms for the gateways to go quiet before ${target.id} (last window ${(quiet.busy * 100).toFixed(0)} % of a core)`);
      const cpuBefore = cpuSeconds(target.pid);
      const callsBefore = await upstreamCalls();
      const load = await windowed(target.id, () => env.load(job(target, profile.durationSeconds)));
      const measurement: Measurement = {
        target: target.id,
        round,
        load,
        cpuSeconds: cpuSeconds(target.pid) - cpuBefore,
        peakRssMiB: peakRssMiB(target.pid),
        upstreamCalls: (await upstreamCalls()) - callsBefore,
      };
      measurements.push(measurement);
      note(target, `round ${round}`, load);
      // A run in which nothing completed has no figures to compare: a stalled gateway is a failure.
      if (load.requests === 0) problems.push(`${target.id} round ${round}: no request completed in ${profile.durationSeconds} s`);
      log(`bench: ${scenario.name} round ${round} ${target.id}: ${load.rps.toFixed(0)} req/s, p99 ${Number(load.p99).toFixed(2)} ms, ${failuresOf(load)} failed`);
    }
  }

  // (c) again with both Portico gateways loaded at once: they share CPU 0, so whatever else the
  // machine does in a window slows both alike, and the ratio of their req/s is the ratio of what
  // a request costs each (the sequential rounds above compare different 8 s windows, and on a
  // shared VM neighbouring windows differ by more than the 10 % being measured).
  let paired: string | undefined;
  // The full chain's requests in the paired windows, which write access-log lines too.
  let pairedServed = 0;
  if (scenario.name === 'policies') {
    const bare = scenario.targets.find((target) => target.id === 'portico');
    const full = scenario.targets.find((target) => target.id === 'portico+policies');
    if (bare && full) {
      const windows: PairedWindow[] = [];
      const scriptsBefore = await env.redisScriptCalls();
      for (let round = 1; round <= profile.rounds; round++) {
        if (pairedRestarts && round > 1) {
          await env.restart([bare.id, full.id]);
          const [bareWarm, fullWarm] = await env.loadPair(job(bare, profile.warmupSeconds), job(full, profile.warmupSeconds));
          note(bare, `warm-up of start ${round}`, bareWarm);
          note(full, `warm-up of start ${round}`, fullWarm);
        }
        await waitForQuietProcesses(scenario.targets.map((t) => t.pid));
        const cpuBefore = [cpuSeconds(bare.pid), cpuSeconds(full.pid)];
        const [bareLoad, fullLoad] = await env.loadPair(job(bare, profile.durationSeconds), job(full, profile.durationSeconds));
        windows.push({ bare: bareLoad, full: fullLoad, bareCpu: cpuSeconds(bare.pid) - cpuBefore[0]!, fullCpu: cpuSeconds(full.pid) - cpuBefore[1]! });
        pairedServed += fullLoad.requests;
        note(bare, `paired window ${round}`, bareLoad);
        note(full, `paired window ${round}`, fullLoad);
        log(`bench: policies paired window ${round}: portico ${bareLoad.rps.toFixed(0)} req/s, portico+policies ${fullLoad.rps.toFixed(0)} req/s`);
      }
      paired =
        pairedPolicyCostLine(windows) +
        (pairedRestarts ? `, each window on its own start of both gateways (${windows.length} starts)` : '') +
        (profile.rounds < 3 ? ' (fewer than 3 windows: a smoke figure, not a measurement)' : '');
      out(`\n${paired}\n`);
      // How well concurrent requests shared their Redis work in these windows: one script call
      // per revocation check and per rate-limit charge if nothing were shared or batched (2 a
      // request). A figure that moves between runs points at the round trips, not the plugins.
      const scriptsAfter = await env.redisScriptCalls();
      if (scriptsBefore !== undefined && scriptsAfter !== undefined && pairedServed > 0) {
        out(`redis: ${((scriptsAfter - scriptsBefore) / pairedServed).toFixed(2)} script calls per portico+policies request in the paired windows (2 if no revocation check or rate-limit charge were shared or batched)\n`);
      }
    }
  }

  const rows = summarise(
    scenario.targets.map((target) => target.id),
    scenario.hive,
    measurements,
    warmupFailures,
  );
  out(`\n${formatTable(rows)}\n\n`);
  for (const problem of problems) out(`wrong or failed responses: ${problem}\n`);
  const ok = problems.length === 0;
  const portico = rows.find((row) => row.target === scenario.portico);
  const extra: string[] = [];
  if (scenario.peer) extra.push(...peerComparison(scenario, measurements));
  if (scenario.name === 'policies') {
    const lines = (await env.accessLogLines()) - accessLogBefore;
    const served = measurements.filter((m) => m.target === 'portico+policies').reduce((sum, m) => sum + m.load.requests, pairedServed);
    out(`access log: ${lines} lines written for ${served} measured requests (plus warm-up)\n`);
    extra.push(policyCostLine(measurements) + (profile.rounds < 3 ? ' (fewer than 3 rounds: a smoke figure, not a measurement)' : ''));
    if (paired) extra.push(paired);
  }
  return { name: scenario.name, line: verdictLine(scenario.name, portico, ok), extra };
}

/**
 * The Portico targets against the scenario's second peer, round by round like every ratio: a
 * table of the ratios (printed with the scenario) and one line for the closing summary.
 */
function peerComparison(scenario: Scenario, measurements: readonly Measurement[]): string[] {
  const peer = scenario.peer!;
  const porticoIds = scenario.targets.map((target) => target.id).filter((id) => id.startsWith('portico'));
  const rows = summarise(porticoIds, peer, measurements);
  const cell = (value: number) => (Number.isFinite(value) ? `×${value.toFixed(2)}` : '-');
  out(`\nagainst ${peer} (each Portico figure over ${peer}'s in the same round, median over rounds):\n\n`);
  out(`| target | req/s vs ${peer} | p99 vs ${peer} | peak RSS vs ${peer} | req per core-s vs ${peer} |\n|---|---|---|---|---|\n`);
  for (const row of rows) out(`| ${row.target} | ${cell(row.ratio.rps)} | ${cell(row.ratio.p99)} | ${cell(row.ratio.peakRssMiB)} | ${cell(row.ratio.rpsPerCoreSecond)} |\n`);
  out('\n');
  const main = rows.find((row) => row.target === scenario.portico);
  const fmt = (value: number | undefined) => (value !== undefined && Number.isFinite(value) ? value.toFixed(2) : 'n/a');
  return [`${scenario.name}: portico/${peer} rps ratio ${fmt(main?.ratio.rps)}, p99 ratio ${fmt(main?.ratio.p99)}`];
}

function policyCostLine(measurements: readonly Measurement[]): string {
  // The full chain against the bare gateway directly, round by round (the median of the
  // per-round quotients): going through each one's ratio to Hive would add Hive's own noise.
  const [full] = summarise(['portico+policies'], 'portico', measurements);
  if (!full || !Number.isFinite(full.ratio.rps)) return 'policy cost: n/a';
  const { rps, p99, rpsPerCoreSecond: perCore } = full.ratio;
  return `policy cost: full chain at ${(rps * 100).toFixed(0)}% of bare req/s (${((1 - rps) * 100).toFixed(0)}% cost), p99 ×${p99.toFixed(2)}, req per core-s ×${perCore.toFixed(2)}`;
}

/** One paired window of (c): both Portico gateways' loads, and the CPU seconds each used in it. */
interface PairedWindow {
  bare: LoadResult;
  full: LoadResult;
  bareCpu: number;
  fullCpu: number;
}

/**
 * The paired windows of (c): per window, the full chain's req/s over bare Portico's while both
 * shared CPU 0, and the same for CPU per request; the median over windows.
 */
function pairedPolicyCostLine(windows: readonly PairedWindow[]): string {
  const rps = median(windows.map((w) => w.full.rps / w.bare.rps));
  const perCore = median(windows.map((w) => w.full.requests / w.fullCpu / (w.bare.requests / w.bareCpu)));
  const each = windows.map((w) => `×${(w.full.rps / w.bare.rps).toFixed(2)}`).join(', ');
  return `policy cost (paired: both loaded at once on CPU 0): full chain at ${(rps * 100).toFixed(0)}% of bare req/s (${((1 - rps) * 100).toFixed(0)}% cost; windows ${each}), req per core-s ×${perCore.toFixed(2)}`;
}

// ---------------------------------------------------------------------------------------------
// Probes and helpers

async function answers(url: string, query: string, expectedData: unknown, headers: Record<string, string>): Promise<boolean> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query }),
  });
  const text = await response.text();
  if (response.status !== 200) throw new WrongAnswer(`HTTP ${response.status}: ${text.slice(0, 300)}`);
  const parsed = JSON.parse(text) as { data?: unknown; errors?: unknown };
  if (parsed.errors !== undefined || !isDeepStrictEqual(parsed.data, expectedData)) {
    throw new WrongAnswer(`wrong answer: ${text.slice(0, 300)}`);
  }
  return true;
}

/**
 * Shows each configured policy acting on the running gateway, so "on" in the report means seen
 * working, not merely configured.
 */
async function probePolicyChain(
  url: string,
  options: { token: string | undefined; redisUrl: string | undefined; adminPort: number | undefined },
): Promise<string[]> {
  const seen: string[] = [];
  const notSeen: string[] = [];
  const post = (query: string, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query }) });
  const codeOf = async (response: Response) =>
    ((await response.json()) as { errors?: { extensions?: { code?: string } }[] }).errors?.[0]?.extensions?.code;
  const auth: Record<string, string> = options.token ? { authorization: `Bearer ${options.token}` } : {};

  const anonymous = await post('{ me { id } }');
  const anonymousCode = await codeOf(anonymous);
  (anonymous.status === 401 ? seen : notSeen).push(`jwt (no token → ${anonymous.status} ${anonymousCode ?? ''})`.replace(' )', ')'));

  // Six aliased copies of one of the bench query's own branches (same depth, so the depth limit
  // lets it through): about 130 000 at the assumed list size of 10, above the ceiling.
  const branch = 'users { reviews { product { reviews { author { reviews { product { name } } } } } } }';
  const costly = `{ ${[1, 2, 3, 4, 5, 6].map((i) => `a${i}: ${branch}`).join(' ')} }`;
  const refused = await post(costly, auth);
  const refusedCode = await codeOf(refused);
  (refusedCode === 'COST_LIMIT_EXCEEDED' ? seen : notSeen).push(`cost limit (costly query → ${refused.status} ${refusedCode ?? 'no error'})`);

  // Query.me requires a scope the bench token does not have (bench/subgraphs/accounts.graphql).
  const denied = await post('{ me { id } }', auth);
  const deniedCode = await codeOf(denied);
  (deniedCode === 'FORBIDDEN' ? seen : notSeen).push(`field authz (field needing a scope the token lacks → ${denied.status} ${deniedCode ?? 'no error'})`);

  const admitted = await post('{ users { id } }', auth);
  await admitted.arrayBuffer();
  const policyHeader = admitted.headers.get('ratelimit-policy');
  let keys = 0;
  if (options.redisUrl) {
    const redis = new Redis(options.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      keys = await redis.dbsize();
    } finally {
      redis.disconnect();
    }
  }
  (policyHeader && keys > 0 ? seen : notSeen).push(`rate limit (RateLimit-Policy: ${policyHeader ?? 'absent'}; ${keys} keys in Redis)`);

  if (options.adminPort) {
    const metrics = await fetch(`http://127.0.0.1:${options.adminPort}/metrics`).then(
      (response) => response.text(),
      () => '',
    );
    (metrics.includes('portico_source_breaker_state') ? seen : notSeen).push('breakers (breaker state in /metrics)');
  } else {
    notSeen.push('breakers (no admin listener to read their state from)');
  }
  return [`policies seen acting: ${seen.join(', ') || 'none'}`, ...(notSeen.length ? [`policies configured but not seen acting: ${notSeen.join(', ')}`] : [])];
}

async function mintTokens(idpUrl: string, count: number): Promise<string[]> {
  const tokens: string[] = [];
  for (let i = 0; i < count; i++) {
    // One subject and tenant per connection: its own verified-token cache entry, its own
    // rate-limit bucket, its own identity headers upstream.
    tokens.push(await mintToken(idpUrl, { sub: `bench-user-${i}`, tenant: `bench-tenant-${i}`, plan: 'bench', scopes: ['bench'] }));
  }
  return tokens;
}

/** A token from the demo IdP for the bench audience, valid for an hour. */
async function mintToken(idpUrl: string, claims: { sub: string; tenant: string; plan: string; scopes: string[] }): Promise<string> {
  const response = await fetch(`${idpUrl}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...claims, aud: BENCH_AUDIENCE, expiresIn: 3600 }),
  });
  if (!response.ok) throw new Error(`the IdP refused to issue a token: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { access_token: string }).access_token;
}

/** EVAL and EVALSHA calls Redis has counted since it started (`INFO commandstats`); undefined if it cannot say. */
function scriptCalls(url: string): Promise<number | undefined> {
  return onceConnected(url, async (redis) => {
    let calls = 0;
    for (const match of (await redis.info('commandstats')).matchAll(/^cmdstat_(?:eval|evalsha):calls=(\d+)/gm)) calls += Number(match[1]);
    return calls;
  }).catch(() => undefined);
}

function pingRedis(url: string): Promise<boolean> {
  return onceConnected(url, async (redis) => (await redis.ping()) === 'PONG');
}

/** Connects to `url` once (no retries), runs `use`, and disconnects; rejects if it cannot connect. */
async function onceConnected<T>(url: string, use: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  // A refused connection (Redis still starting) rejects connect(); the event would only be noise.
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    return await use(redis);
  } finally {
    redis.disconnect();
  }
}

/** Where `--cpu-prof` puts profiles; undefined when not profiling. */
let profileDir: string | undefined;

function profilerArgs(target: string): string[] {
  return profileDir ? ['--cpu-prof', '--cpu-prof-dir', path.join(profileDir, profileDirName(target))] : [];
}

/** Under `--cpu-prof`, when each gateway was loaded and what it served, by profile directory. */
const loadWindows = new Map<string, LoadWindow[]>();

/** A load run, its window noted when profiling (the profile's clock is `process.hrtime`'s). */
async function windowed(target: string, load: () => Promise<LoadResult>): Promise<LoadResult> {
  if (!profileDir) return load();
  const startUs = Number(process.hrtime.bigint() / 1000n);
  const result = await load();
  const endUs = Number(process.hrtime.bigint() / 1000n);
  const dir = profileDirName(target);
  loadWindows.set(dir, [...(loadWindows.get(dir) ?? []), { startUs, endUs, requests: result.requests }]);
  return result;
}

function profileDirName(target: string): string {
  return target.replace(/\W+/g, '-');
}

/** After the gateways have exited (SIGTERM lets them write their profiles): where the time went. */
async function summariseProfiles(): Promise<void> {
  if (!profileDir) return;
  const perRequest = new Map<string, RequestCpu>();
  for (const target of await readdir(profileDir).catch(() => [] as string[])) {
    const dir = path.join(profileDir, target);
    const files = await Promise.all((await readdir(dir)).map(async (name) => ({ name, size: (await stat(path.join(dir, name))).size })));
    // One profile per thread (tsx's loader hooks run in a worker): the main thread's is the largest.
    const main = files.sort((a, b) => b.size - a.size)[0];
    if (!main) continue;
    const file = path.join(dir, main.name);
    const cpuProfile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
    out(`\n## CPU profile: ${target} (${path.relative(repoRoot, file)})\n\n${summariseProfile(cpuProfile, repoRoot, 25)}\n`);
    const windows = loadWindows.get(target);
    if (windows) perRequest.set(target, requestCpu(cpuProfile, windows, repoRoot));
  }
  // Kept beside the profiles (after reading the folder: one folder per target), so they can be
  // cut again (bench/lib/requestCpu.ts) without a rerun.
  await mkdir(profileDir, { recursive: true });
  await writeFile(path.join(profileDir, 'load-windows.json'), JSON.stringify(Object.fromEntries(loadWindows)));
  const bare = perRequest.get(profileDirName('portico'));
  const policies = perRequest.get(profileDirName('portico+policies'));
  if (bare && policies) out(`\n## The policy chain per request (profiles of portico and portico+policies)\n\n${formatChainCost(bare, policies)}\n`);
}

function hiveBin(): string {
  return path.join(repoRoot, 'node_modules/@graphql-hive/gateway/dist/bin.js');
}

function positive(value: string | undefined, fallback: number, flag: string): number {
  if (value === undefined) return fallback;
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`${flag}: expected a positive number, got ${value}`);
  return parsed;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    log(`bench: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exit(1);
  },
);
