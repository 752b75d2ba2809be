/**
 * Subscriptions through Portico and Hive Gateway, side by side (issue 19, item 6; bench/README.md
 * has the method and the settings a full run needs):
 *
 *   npm run bench:subscriptions                                  5,000 over SSE + 5,000 over WebSocket per gateway
 *   npm run bench:subscriptions -- --subscriptions 200 --events 20 --rounds 1   a smoke run
 *   node --import tsx bench/subscriptions.ts [--subscriptions N] [--events N] [--rounds N]
 *        [--clients N] [--upstream sse|ws] [--gateways portico,hive]
 *
 * One bench-only upstream (bench/subscriptions/upstream.ts: a Federation v2 subgraph with a `tick`
 * subscription over SSE and WebSocket) and, one at a time on CPU 0, each gateway serving the same
 * supergraph and proxying that upstream subscription (over `--upstream`, SSE by default). Per
 * gateway and round: a fresh gateway process; N subscriptions over graphql-sse (distinct
 * connections) then N over graphql-transport-ws, held by client processes on CPU 1; warm-up
 * events until every subscription has had one; then `--events` events, each published once every
 * subscription has the previous one. Figures: publish-to-receipt latency p50/p99 per protocol,
 * RSS growth per subscription, the gateway's CPU per 1,000 delivered events, upstream
 * subscriptions per client subscription; Portico/Hive ratios are medians of per-round ratios.
 * Results go to .bench-results/subscriptions.{md,json}.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { composeSupergraph } from '../src/sources/federation/composeSupergraph.js';
import { startGuardedRun } from './lib/guardedRun.js';
import { freePort, waitForLine, waitUntil, WrongAnswer, type Started } from './lib/processes.js';
import { cpuSeconds, rssMiB } from './lib/procStats.js';
import type { ClientProtocol, FromClients, ToClients } from './subscriptions/clients.js';
import { compareGateways, formatTable, type GatewayRound } from './subscriptions/subscriptionReport.js';
import { TICK_SDL } from './subscriptions/tickSchema.js';

const repoRoot = path.resolve(import.meta.dirname, '..');
const GATEWAY_CPU = 0;
const CLIENT_CPU = 1;
const GATEWAYS = ['portico', 'hive'] as const;
type Gateway = (typeof GATEWAYS)[number];

function log(line: string): void {
  process.stderr.write(`${line}\n`);
}

const { values } = parseArgs({
  options: {
    subscriptions: { type: 'string', default: '5000' },
    events: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '3' },
    clients: { type: 'string', default: '2' },
    upstream: { type: 'string', default: 'sse' },
    gateways: { type: 'string', default: GATEWAYS.join(',') },
  },
});
const perProtocol = positive(values.subscriptions, '--subscriptions');
const events = positive(values.events, '--events');
const rounds = positive(values.rounds, '--rounds');
const clientsPerProtocol = positive(values.clients, '--clients');
if (values.upstream !== 'sse' && values.upstream !== 'ws') throw new Error(`--upstream: sse or ws, not ${values.upstream}`);
const upstreamProtocol: 'sse' | 'ws' = values.upstream;
const gateways = values.gateways.split(',').map((name) => {
  if (!(GATEWAYS as readonly string[]).includes(name)) throw new Error(`--gateways: unknown gateway "${name}" (known: ${GATEWAYS.join(', ')})`);
  return name as Gateway;
});
/**
 * Descriptors each gateway needs: 2N client sockets, plus its upstream ones, plus its own (512).
 * Portico shares one upstream stream between identical subscriptions (anonymous here), so it
 * holds a handful upstream; Hive opens one upstream SSE stream per subscription (2N more), while
 * over `--upstream ws` it multiplexes them on one WebSocket per set of connection params.
 * Node raises its soft limit to the hard one by itself; the hard one is raised with `prlimit`
 * where the bench may (CAP_SYS_RESOURCE), else the run stops here, before any process starts,
 * saying what to set (bench/README.md).
 */
const descriptorsNeeded = (gateway: Gateway) => perProtocol * 2 + 512 + (gateway === 'hive' && upstreamProtocol === 'sse' ? perProtocol * 2 : 0);
const limitWrapper = descriptorLimitWrapper(Math.max(...gateways.map(descriptorsNeeded)));
/** Per event: how long every subscription may take to receive it before the event counts as lost. */
const EVENT_TIMEOUT_MS = 60_000;
// Opening 2N subscriptions dominates; the bound stops a wedged run, it is not a target.
// At a load of 30 on the shared VM, 5,000 WebSockets took over 5 minutes to open: 60 ms each.
const OPEN_MS_PER_SUBSCRIPTION = 60;
const limitMs = 5 * 60_000 + rounds * gateways.length * (perProtocol * 2 * OPEN_MS_PER_SUBSCRIPTION + events * 2_000);

const { group, tmp, finish } = await startGuardedRun({ tmpPrefix: 'portico-bench-subscriptions-', limitMs, log });

const measured: GatewayRound[] = [];
const problems: string[] = [];
try {
  log(`bench: ${perProtocol} SSE + ${perProtocol} WebSocket subscriptions per gateway, ${events} events, ${rounds} round(s), upstream over ${upstreamProtocol}, ${clientsPerProtocol} client process(es) per protocol`);
  const upstream = group.start({ name: 'upstream', cpu: CLIENT_CPU, ...wrapped(process.execPath, ['--import', 'tsx', 'bench/subscriptions/upstream.ts']), cwd: repoRoot, stdin: 'pipe' });
  const upstreamUrl = (await waitForLine(upstream, 'READY ', 30_000)).trim();
  const upstreamBase = new URL(upstreamUrl).origin;
  const supergraph = path.join(tmp, 'supergraph.graphql');
  await writeFile(supergraph, composeSupergraph([{ name: 'ticks', url: upstreamUrl, sdl: TICK_SDL }]));
  const porticoConfig = await writePorticoConfig(upstreamUrl);
  log(`bench: upstream at ${upstreamUrl}`);

  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 1 ? gateways : [...gateways].reverse();
    for (const gateway of order) {
      const result = await measure(gateway, round, { supergraph, porticoConfig, upstreamBase });
      measured.push(result);
    }
  }
} finally {
  await finish();
}

const baseline: Gateway = gateways.includes('hive') ? 'hive' : gateways[0]!;
const rows = compareGateways(measured, gateways, baseline);
const lines = [
  `## Subscriptions: ${perProtocol} over SSE + ${perProtocol} over WebSocket per gateway process`,
  '',
  `${events} events per round, ${rounds} round(s); upstream subscription over ${upstreamProtocol}; gateways on CPU ${GATEWAY_CPU}, upstream and ${clientsPerProtocol * 2} client processes on CPU ${CLIENT_CPU}.`,
  'Figures: medians over rounds; ratios: medians of per-round ratios (lower is better for every figure).',
  '',
  formatTable(rows, baseline),
  '',
  ...measured.map((m) => `round ${m.round} ${m.gateway}: delivered ${m.delivered}/${m.expected}, RSS ${m.rssMiB.before.toFixed(0)} → ${m.rssMiB.withSse.toFixed(0)} (SSE) → ${m.rssMiB.withBoth.toFixed(0)} MiB (both), CPU ${m.cpuSeconds.toFixed(2)} s, ${m.upstreamSubscriptions} upstream subscriptions`),
  ...problems.map((problem) => `problem: ${problem}`),
  '',
  `bench subscriptions: ${problems.length === 0 ? 'ok' : 'FAILED'}`,
];
process.stdout.write(`${lines.join('\n')}\n`);
const resultsDir = path.join(repoRoot, '.bench-results');
await mkdir(resultsDir, { recursive: true });
await writeFile(path.join(resultsDir, 'subscriptions.md'), `# bench:subscriptions ${new Date().toISOString()}\n\n${lines.join('\n')}\n`);
await writeFile(
  path.join(resultsDir, 'subscriptions.json'),
  `${JSON.stringify({ at: new Date().toISOString(), perProtocol, events, rounds, upstream: upstreamProtocol, rows, problems, measured: measured.map(({ latencies: _latencies, ...rest }) => rest) }, null, 2)}\n`,
);
process.exit(problems.length === 0 ? 0 : 1);

// ---------------------------------------------------------------------------------------------

interface Setup {
  supergraph: string;
  porticoConfig: { rootFile: string; port: number };
  upstreamBase: string;
}

async function measure(gateway: Gateway, round: number, setup: Setup): Promise<GatewayRound> {
  const { started, url } = await startGateway(gateway, setup);
  const clients: { started: Started; protocol: ClientProtocol; count: number }[] = [];
  try {
    await waitUntil(gateway, () => answersPing(url), 90_000, started);
    const pid = started.pid;
    for (const protocol of ['sse', 'ws'] as const) {
      for (let i = 0; i < clientsPerProtocol; i++) {
        const count = Math.floor(perProtocol / clientsPerProtocol) + (i < perProtocol % clientsPerProtocol ? 1 : 0);
        if (count === 0) continue;
        const child = group.start({ name: `clients-${protocol}-${i}`, cpu: CLIENT_CPU, command: process.execPath, args: ['--import', 'tsx', 'bench/subscriptions/clients.ts'], cwd: repoRoot, ipc: true, stdout: 'ignore' });
        clients.push({ started: child, protocol, count });
      }
    }
    const rssBefore = rssMiB(pid);
    const open = async (protocol: ClientProtocol) => {
      const opened = await Promise.all(
        clients
          .filter((c) => c.protocol === protocol)
          .map(async (c) => {
            const reply = next(c.started, 'opened', perProtocol * OPEN_MS_PER_SUBSCRIPTION * 2 + 60_000);
            send(c.started, { type: 'open', protocol, url, count: c.count });
            return (await reply) as Extract<FromClients, { type: 'opened' }>;
          }),
      );
      const failed = opened.reduce((sum, o) => sum + o.failed, 0);
      if (failed > 0) throw new Error(`${gateway}: ${failed} ${protocol} subscriptions refused (first: ${opened.find((o) => o.firstError)?.firstError})`);
      log(`bench: round ${round} ${gateway}: ${perProtocol} ${protocol} subscriptions open`);
    };
    await open('sse');
    const rssWithSse = rssMiB(pid);
    await open('ws');
    const rssWithBoth = rssMiB(pid);

    // Warm-up: the gateway may still be opening its upstream subscriptions after answering the
    // client (pub/sub keeps no backlog), so warm-up events go out until every client has one.
    const warm = Promise.all(clients.map((c) => next(c.started, 'warm', perProtocol * OPEN_MS_PER_SUBSCRIPTION * 2 + 60_000)));
    let warmed = false;
    void warm.then(() => (warmed = true), () => undefined);
    for (let seq = -1; !warmed; seq--) {
      await publish(setup.upstreamBase, seq);
      await Promise.race([warm, new Promise((resolve) => setTimeout(resolve, 500))]);
    }
    await warm;
    const upstream = (await (await fetch(`${setup.upstreamBase}/subscribers`)).json()) as { open: number; webSockets: number };
    const upstreamSubscriptions = upstream.open;
    // Like for like only if both gateways reach the upstream over the protocol asked for.
    if ((upstreamProtocol === 'ws') !== upstream.webSockets > 0) problems.push(`${gateway} round ${round}: asked to use ${upstreamProtocol} upstream, but holds ${upstream.webSockets} upstream WebSockets for ${upstream.open} subscriptions`);

    const cpuStart = cpuSeconds(pid);
    for (let seq = 1; seq <= events; seq++) {
      const all = Promise.all(clients.map((c) => nextGot(c.started, seq)));
      await publish(setup.upstreamBase, seq);
      const outcome = await Promise.race([all.then(() => 'ok' as const), new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), EVENT_TIMEOUT_MS).unref())]);
      if (outcome === 'timeout') {
        problems.push(`${gateway} round ${round}: event ${seq} not delivered to every subscription within ${EVENT_TIMEOUT_MS} ms; stopped publishing`);
        break;
      }
    }
    const cpu = cpuSeconds(pid) - cpuStart;

    const latencies: Record<ClientProtocol, number[]> = { sse: [], ws: [] };
    for (const c of clients) {
      const reply = next(c.started, 'latencies', 60_000);
      send(c.started, { type: 'close' });
      const result = (await reply) as Extract<FromClients, { type: 'latencies' }>;
      for (const value of result.latencies) latencies[c.protocol].push(value);
      if (result.wrong > 0) problems.push(`${gateway} round ${round}: ${result.wrong} wrong ${c.protocol} events (first: ${result.firstWrong})`);
    }
    const delivered = latencies.sse.length + latencies.ws.length;
    const expected = events * perProtocol * 2;
    if (delivered !== expected && !problems.some((p) => p.startsWith(`${gateway} round ${round}:`))) problems.push(`${gateway} round ${round}: ${delivered} of ${expected} events delivered`);
    log(`bench: round ${round} ${gateway}: ${delivered} events delivered, CPU ${cpu.toFixed(2)} s`);
    return {
      gateway,
      round,
      subscriptions: { sse: perProtocol, ws: perProtocol },
      latencies,
      rssMiB: { before: rssBefore, withSse: rssWithSse, withBoth: rssWithBoth },
      cpuSeconds: cpu,
      delivered,
      expected,
      upstreamSubscriptions,
    };
  } finally {
    for (const c of clients) c.started.child.kill('SIGTERM');
    await stopProcess(started);
  }
}

async function startGateway(gateway: Gateway, setup: Setup): Promise<{ started: Started; url: string }> {
  const node = process.execPath;
  if (gateway === 'portico') {
    const started = group.start({
      name: 'portico',
      cpu: GATEWAY_CPU,
      ...wrapped(node, ['--import', 'tsx', 'src/main.ts', 'start', '--config', setup.porticoConfig.rootFile]),
      cwd: repoRoot,
      // The config carries no identity-headers secret; demo mode lets it start without one.
      env: { LOG_LEVEL: 'warn', NODE_ENV: 'production', PORTICO_DEMO: '1' },
      stdout: 'ignore',
    });
    return { started, url: `http://127.0.0.1:${setup.porticoConfig.port}/graphql` };
  }
  const port = await freePort();
  const started = group.start({
    name: 'hive',
    cpu: GATEWAY_CPU,
    ...wrapped(node, [
      path.join(repoRoot, 'node_modules/@graphql-hive/gateway/dist/bin.js'),
      'supergraph',
      setup.supergraph,
      '--port',
      String(port),
      '--host',
      '127.0.0.1',
      '--fork',
      '1',
      ...(upstreamProtocol === 'ws' ? ['-c', 'bench/hive/subscriptions-ws.gateway.config.ts'] : []),
    ]),
    cwd: repoRoot,
    env: { NODE_ENV: 'production' },
    stdout: 'ignore',
  });
  return { started, url: `http://127.0.0.1:${port}/graphql` };
}

/** Portico's config: one BFF over the upstream as a federation source, limits raised for the run. */
async function writePorticoConfig(upstreamUrl: string): Promise<{ rootFile: string; port: number }> {
  const dir = path.join(tmp, 'portico');
  await mkdir(path.join(dir, 'bffs', 'bench'), { recursive: true });
  const port = await freePort();
  const total = perProtocol * 2;
  await writeFile(path.join(dir, 'ticks.graphql'), TICK_SDL);
  await writeFile(
    path.join(dir, 'sources.ts'),
    `export default ${JSON.stringify({
      ticks: {
        kind: 'federation',
        subgraphs: [{ name: 'ticks', url: upstreamUrl, schema: './ticks.graphql', subscriptions: { protocol: upstreamProtocol } }],
      },
    })};\n`,
  );
  const rootFile = path.join(dir, 'portico.config.ts');
  await writeFile(rootFile, `export default ${JSON.stringify({ sources: './sources.ts', bffs: ['./bffs/bench'], subscriptions: { maxPerProcess: total + 100 } })};\n`);
  await writeFile(
    path.join(dir, 'bffs', 'bench', 'bff.config.ts'),
    `export default ${JSON.stringify({
      name: 'bench',
      port,
      host: '127.0.0.1',
      sources: ['ticks'],
      // Hive runs without auth; so does Portico here (anonymous callers count only against the process cap).
      authz: { defaultPolicy: 'public' },
      // Node's own header and request timeouts (60 s / 300 s), which Hive runs with: opening
      // thousands of sockets in waves on one busy core, an upgrade's headers can wait longer than
      // Portico's 10 s edge default, which is there for Slowloris, not for this bench.
      http: { maxConnections: total + 100, headersTimeoutMs: 60_000, requestTimeoutMs: 300_000 },
    })};\n`,
  );
  return { rootFile, port };
}

async function answersPing(url: string): Promise<boolean> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ benchPing }' }) });
  const text = await response.text();
  if (response.status !== 200 || !text.includes('"benchPing":true')) throw new WrongAnswer(`HTTP ${response.status}: ${text.slice(0, 300)}`);
  return true;
}

async function publish(base: string, seq: number): Promise<void> {
  const response = await fetch(`${base}/publish?seq=${seq}`, { method: 'POST' });
  if (!response.ok) throw new Error(`upstream refused to publish: HTTP ${response.status}`);
  await response.arrayBuffer();
}

function send(started: Started, message: ToClients): void {
  started.child.send(message);
}

/** The next message of `type` from a client process; rejects if it exits or takes longer than `timeoutMs`. */
function next(started: Started, type: FromClients['type'], timeoutMs: number): Promise<FromClients> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${started.name}: no "${type}" within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (message: FromClients) => {
      if (message.type === type) done(undefined, message);
    };
    const onExit = () => done(new Error(`${started.name} exited: ${started.stderr().trim()}`));
    function done(error: Error | undefined, message?: FromClients) {
      clearTimeout(timer);
      started.child.off('message', onMessage);
      started.child.off('exit', onExit);
      if (error) reject(error);
      else resolve(message!);
    }
    started.child.on('message', onMessage);
    started.child.once('exit', onExit);
  });
}

/** Resolves when the client process reports event `seq` at every one of its subscriptions. */
function nextGot(started: Started, seq: number): Promise<void> {
  return new Promise((resolve) => {
    const onMessage = (message: FromClients) => {
      if (message.type === 'got' && message.seq === seq) {
        started.child.off('message', onMessage);
        resolve();
      }
    };
    started.child.on('message', onMessage);
  });
}

function stopProcess(started: Started): Promise<void> {
  const { child } = started;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/**
 * `[]` when the hard descriptor limit already allows `needed`; `prlimit` raising it for each
 * gateway and the upstream when this process may; otherwise the run is refused, naming the limit.
 */
function descriptorLimitWrapper(needed: number): string[] {
  const hard = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
  if (hard === 'unlimited' || Number(hard) >= needed) return [];
  const raise = [`--nofile=${needed}:${needed}`];
  if (spawnSync('prlimit', [...raise, 'true']).status === 0) return ['prlimit', ...raise];
  const perSubscription = needed > perProtocol * 2 + 512 ? 4 : 2;
  const fits = Math.floor((Number(hard) - 512) / perSubscription);
  const needs = gateways.map((gateway) => `${gateway} ${descriptorsNeeded(gateway)}`).join(', ');
  log(
    `bench: ${perProtocol} + ${perProtocol} subscriptions need these open files per gateway: ${needs}; the hard limit is ${hard} and cannot be raised here ` +
      `(prlimit needs CAP_SYS_RESOURCE). Raise it (docker run --ulimit nofile=65536:65536, systemd LimitNOFILE=65536, or /etc/security/limits.conf), ` +
      `or run with --subscriptions ${fits} or fewer${perSubscription === 4 ? ' (or --upstream ws, over which Hive multiplexes its upstream subscriptions on one socket)' : ''}.`,
  );
  process.exit(2);
}

function wrapped(command: string, args: string[]): { command: string; args: string[] } {
  return limitWrapper.length ? { command: limitWrapper[0]!, args: [...limitWrapper.slice(1), command, ...args] } : { command, args };
}

function positive(value: string, flag: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`${flag}: expected a positive integer, got ${value}`);
  return parsed;
}
