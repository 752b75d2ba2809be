/**
 * The `portico` command. The only module that reads argv, exits the process or installs signal
 * handlers: everything below it is a library that can be started and stopped by tests.
 *
 *   portico start [--config FILE]                         run the configured BFFs
 *   portico serve --supergraph FILE [options]             serve a composed Federation v2 supergraph
 *                                                         (options: USAGE below, docs/serve.md)
 *   portico demo                                          demo subgraphs + the three BFFs (npm start)
 *   portico documents build DIR --out FILE                trusted-documents store from .graphql files
 *   portico plan --bff NAME ['{ … }' | --file F] [--variables JSON] [--operation N] [--json] [--config FILE]
 *                                                         what an operation will do; calls nothing
 *   portico check --against REF|DIR [--json] [--config FILE]   breaking changes against another config
 *   portico compose --subgraph NAME=FILE|URL[@ROUTING_URL] ... [--out FILE]   a Federation v2 supergraph
 *
 * Exit codes: 0 success; 1 failure (a breaking change for `check`, an invalid operation for
 * `plan`, a composition error for `compose`, a start-up failure); 2 usage error; 78 invalid config.
 */
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino, type Logger } from 'pino';
import { ConfigError } from './config/configError.js';
import { loadConfig } from './config/loadConfig.js';
import { requireProductionSecrets } from './config/requireProductionSecrets.js';
import type { ServeSupergraphOptions } from './runtime/serveSupergraph.js';
import { DocumentBuildError, writeDocumentStore } from './cli/buildDocumentStore.js';
import { disableWasmTierUp } from './runtime/disableWasmTierUp.js';
import { limitHeapGrowth } from './runtime/limitHeapGrowth.js';
import { PLANNER_FLAGS } from './runtime/plannerFlags.js';
import { createLogDestination } from './observability/logDestination.js';

const USAGE = `usage:
  portico start [--config FILE]
  portico serve --supergraph FILE [--port N] [--host H] [--admin-port N] [--tls-cert FILE --tls-key FILE] [--admin-host H] [--traffic FILE]
                [--jwks-url URL --issuer ISS --audience AUD] [--default-policy public|authenticated]
                [--max-cost N] [--timeout-ms N] [--no-breaker] [--no-retries] [--no-fallback-cache]
                [--no-dedup] [--no-query-planner] [--plan-cache-entries N] [--plan-cache-bytes N]
                [--plan-cache-per-document N] [--plan-max-fields N] [--plan-max-depth N]
  portico demo
  portico documents build DIR --out FILE
  portico plan --bff NAME ['{ … }' | --file FILE] [--variables JSON] [--operation NAME] [--json] [--config FILE]
  portico check --against GIT_REF|DIR [--json] [--config FILE]
  portico compose --subgraph NAME=FILE|URL[@ROUTING_URL] ... [--out FILE]`;

interface Stoppable {
  close(graceMs?: number): Promise<unknown>;
}

async function main(argv: string[]): Promise<number> {
  // Before any upstream call compiles undici's WebAssembly parser: no 30-40 MiB recompilation of
  // it at an unchosen moment later (src/runtime/disableWasmTierUp.ts).
  disableWasmTierUp();
  // The old generation may double between full collections, not quadruple as V8 lets it under
  // load on a machine with plenty of memory (src/runtime/limitHeapGrowth.ts).
  limitHeapGrowth(process.env);
  const [command, ...rest] = argv;
  const logger = pino(
    { level: process.env.LOG_LEVEL ?? 'info', base: { pid: process.pid } },
    // Under load the access log is a line per request: lines are gathered into 12 KiB writes, as
    // bytes (src/observability/logDestination.ts says why both).
    createLogDestination(),
  );
  const running: Stoppable[] = [];
  const stop = onceSignal(logger, running);

  switch (command) {
    case 'start': {
      const { values } = parseArgs({ args: rest, options: { config: { type: 'string', default: 'portico.config.ts' } } });
      const file = path.resolve(values.config);
      // Outside demo mode a config without its production secrets is refused, at start and on reload.
      const demo = process.env.PORTICO_DEMO === '1';
      const load = async (fresh: boolean) => {
        const config = await loadConfig(file, process.env, { fresh });
        if (!demo) requireProductionSecrets(config);
        return config;
      };
      // Each command imports what it runs: `plan` or `check` need no server, Redis or tracer.
      const { startPortico } = await import('./runtime/startPortico.js');
      const portico = await startPortico(await load(false), { logger, loadConfig: () => load(true) });
      running.push(portico);
      reloadOnHangup(portico);
      for (const bff of portico.bffs) print(`${bff.name.padEnd(8)} ${bff.url}`);
      if (portico.admin) print(`${'metrics'.padEnd(8)} ${portico.admin.url}/metrics`);
      break;
    }
    case 'serve': {
      const options = serveOptions(rest, logger);
      if (typeof options === 'string') return usage(options);
      const { serveSupergraph } = await import('./runtime/serveSupergraph.js');
      const gateway = await serveSupergraph(options);
      running.push(gateway);
      // Re-reads the supergraph and the --traffic file.
      reloadOnHangup(gateway.portico);
      print(`supergraph ${gateway.url}`);
      if (gateway.portico.admin) print(`metrics ${gateway.portico.admin.url}/metrics`);
      break;
    }
    case 'demo': {
      const { startDemoSubgraphs } = await import('./cli/startDemoSubgraphs.js');
      const { startPortico } = await import('./runtime/startPortico.js');
      const subgraphs = await startDemoSubgraphs(process.env);
      running.push(subgraphs);
      for (const [name, url] of Object.entries(subgraphs.urls)) print(`subgraph ${name.padEnd(10)} ${url}`);
      // The demo's admin token (portico.config.ts admin.token): made up when not given, and printed.
      const adminToken = process.env.PORTICO_ADMIN_TOKEN ?? randomBytes(24).toString('hex');
      const env = { ...process.env, ...subgraphs.env, PORTICO_ADMIN_TOKEN: adminToken };
      const file = path.resolve('portico.config.ts');
      // A gateway that cannot start (a config error, a port in use) stops the subgraphs it started.
      let portico: Awaited<ReturnType<typeof startPortico>>;
      try {
        portico = await startPortico(await loadConfig(file, env), { logger, loadConfig: () => loadConfig(file, env, { fresh: true }) });
      } catch (error) {
        await subgraphs.close();
        throw error;
      }
      running.unshift(portico);
      reloadOnHangup(portico);
      for (const bff of portico.bffs) print(`bff      ${bff.name.padEnd(10)} ${bff.url}`);
      if (portico.admin) {
        print(`admin    ${'metrics'.padEnd(10)} ${portico.admin.url}/metrics`);
        print(`admin    ${'token'.padEnd(10)} ${process.env.PORTICO_ADMIN_TOKEN ? '(PORTICO_ADMIN_TOKEN)' : adminToken}`);
      }
      print('Ctrl-C stops everything.');
      break;
    }
    case 'documents': {
      const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { out: { type: 'string' } } });
      const [action, dir] = positionals;
      if (action !== 'build' || !dir || positionals.length !== 2) return usage('expected: documents build DIR --out FILE');
      if (!values.out) return usage('--out FILE is required');
      try {
        const count = await writeDocumentStore(path.resolve(dir), path.resolve(values.out));
        print(`wrote ${count} document${count === 1 ? '' : 's'} to ${values.out}`);
        return 0;
      } catch (error) {
        return expectedFailure(error, DocumentBuildError);
      }
    }
    case 'plan': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          bff: { type: 'string' },
          file: { type: 'string' },
          variables: { type: 'string' },
          operation: { type: 'string' },
          json: { type: 'boolean', default: false },
          config: { type: 'string', default: 'portico.config.ts' },
        },
      });
      if (!values.bff) return usage('plan: --bff NAME is required');
      if ((positionals.length === 1) === (values.file !== undefined) || positionals.length > 1) {
        return usage('plan: give the operation either as one argument or with --file FILE');
      }
      const query = values.file !== undefined ? await readFile(path.resolve(values.file), 'utf8') : positionals[0]!;
      let variables: Record<string, unknown> | undefined;
      if (values.variables !== undefined) {
        try {
          variables = JSON.parse(values.variables) as Record<string, unknown>;
        } catch {
          return usage('plan: --variables must be a JSON object');
        }
        if (typeof variables !== 'object' || variables === null || Array.isArray(variables)) return usage('plan: --variables must be a JSON object');
      }
      const { explainOperation, PlanInputError } = await import('./cli/explainOperation.js');
      const { formatPlan } = await import('./cli/formatPlan.js');
      const config = await loadConfig(path.resolve(values.config), process.env);
      try {
        const plan = await explainOperation(config, {
          bff: values.bff,
          query,
          ...(variables ? { variables } : {}),
          ...(values.operation ? { operationName: values.operation } : {}),
        });
        process.stdout.write(values.json ? `${JSON.stringify(plan, null, 2)}\n` : formatPlan(plan));
        return 0;
      } catch (error) {
        return expectedFailure(error, PlanInputError);
      }
    }
    case 'check': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: {
          against: { type: 'string' },
          json: { type: 'boolean', default: false },
          config: { type: 'string', default: 'portico.config.ts' },
        },
      });
      if (!values.against || positionals.length > 0) return usage('check: --against GIT_REF|DIR is required');
      const file = path.resolve(values.config);
      const { checkoutBaseline, BaselineError } = await import('./cli/checkoutBaseline.js');
      const { checkConfigChanges } = await import('./cli/checkConfigChanges.js');
      const { formatCheck } = await import('./cli/formatCheck.js');
      let baseline;
      try {
        baseline = await checkoutBaseline(values.against, file);
      } catch (error) {
        if (!(error instanceof BaselineError)) throw error;
        return usage(`check: ${error.message}`);
      }
      try {
        const report = await checkConfigChanges(await loadConfig(file, process.env), await loadConfig(baseline.configFile, process.env), values.against);
        process.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : formatCheck(report));
        return report.ok ? 0 : 1;
      } finally {
        await baseline.dispose();
      }
    }
    case 'compose': {
      const { values, positionals } = parseArgs({
        args: rest,
        allowPositionals: true,
        options: { subgraph: { type: 'string', multiple: true, default: [] }, out: { type: 'string' } },
      });
      if (positionals.length > 0) return usage(`compose: unexpected argument ${positionals[0]}`);
      const { composeFromSubgraphs, parseSubgraphInput, ComposeInputError } = await import('./cli/composeFromSubgraphs.js');
      const { SupergraphCompositionError } = await import('./sources/federation/composeSupergraph.js');
      let inputs;
      try {
        inputs = values.subgraph.map(parseSubgraphInput);
        if (inputs.length === 0) return usage('compose: give at least one --subgraph NAME=FILE|URL[@ROUTING_URL]');
      } catch (error) {
        if (!(error instanceof ComposeInputError)) throw error;
        return usage(`compose: ${error.message}`);
      }
      try {
        const supergraph = await composeFromSubgraphs(inputs);
        if (values.out) {
          await writeFile(path.resolve(values.out), supergraph);
          print(`wrote the supergraph of ${inputs.map((input) => input.name).join(', ')} to ${values.out}`);
        } else process.stdout.write(supergraph.endsWith('\n') ? supergraph : `${supergraph}\n`);
        return 0;
      } catch (error) {
        return expectedFailure(error, ComposeInputError, SupergraphCompositionError);
      }
    }
    default:
      return usage(command === undefined ? '' : `unknown command "${command}"`);
  }
  return stop;
}

/** SIGHUP reloads the config in place (docs/operations.md); the outcome is logged by the reloader. */
function reloadOnHangup(portico: { reload(trigger: 'signal'): Promise<unknown> }): void {
  process.on('SIGHUP', () => void portico.reload('signal'));
}

function onceSignal(logger: Logger, running: Stoppable[]): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const handler = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'draining');
      void (async () => {
        // Without a grace argument each item drains by its config (shutdown.drainTimeoutMs).
        for (const item of running) await item.close();
        // The log is written asynchronously: the drain's last lines must reach it before exit.
        await new Promise<void>((flushed) => logger.flush(() => flushed()));
        resolve(0);
      })();
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  });
}

/** `portico serve`'s flags (docs/serve.md), or what is wrong with them. */
function serveOptions(args: string[], logger: Logger): ServeSupergraphOptions | string {
  const { values } = parseArgs({
    args,
    options: {
      supergraph: { type: 'string' },
      port: { type: 'string', default: '4000' },
      host: { type: 'string', default: '127.0.0.1' },
      // Off unless asked: a fixed default port would make two `serve` on one host collide.
      'admin-port': { type: 'string' },
      'admin-host': { type: 'string' },
      // TLS with HTTP/2 by ALPN and HTTP/1.1 on the same port; rotated files are picked up.
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      // Subgraphs' versions and routing (the schema of a federation source's subgraphTraffic).
      traffic: { type: 'string' },
      'jwks-url': { type: 'string' },
      // Repeatable: an IdP may be reached under several issuer names, an API serve several apps.
      issuer: { type: 'string', multiple: true },
      audience: { type: 'string', multiple: true },
      'default-policy': { type: 'string' },
      'max-cost': { type: 'string' },
      'timeout-ms': { type: 'string' },
      // Each switches one layer of the subgraphs' transport chain off: to measure what it
      // costs, or to rule it out while debugging.
      'no-breaker': { type: 'boolean', default: false },
      'no-retries': { type: 'boolean', default: false },
      'no-fallback-cache': { type: 'boolean', default: false },
      'no-dedup': { type: 'boolean', default: false },
      // Runs every operation by stitching: to compare the engines, or to rule the planner out.
      'no-query-planner': { type: 'boolean', default: false },
      // The planner's cache bounds and planning budget (docs/query-planner.md, "Limits").
      'plan-cache-entries': { type: 'string' },
      'plan-cache-bytes': { type: 'string' },
      'plan-cache-per-document': { type: 'string' },
      'plan-max-fields': { type: 'string' },
      'plan-max-depth': { type: 'string' },
    },
  });
  if (!values.supergraph) return '--supergraph FILE is required';
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) return `--port: expected 0-65535, got ${values.port}`;
  const adminPort = values['admin-port'] === undefined ? undefined : Number(values['admin-port']);
  if (adminPort !== undefined && !(Number.isInteger(adminPort) && adminPort >= 0 && adminPort <= 65_535)) {
    return `--admin-port: expected 0-65535, got ${values['admin-port']}`;
  }
  const positive = (flag: 'max-cost' | 'timeout-ms' | (typeof PLANNER_FLAGS)[number][2]): number | string | undefined => {
    const text = values[flag];
    if (text === undefined) return undefined;
    const value = Number(text);
    return Number.isInteger(value) && value > 0 ? value : `--${flag}: expected a positive integer, got ${text}`;
  };
  const maxCost = positive('max-cost');
  if (typeof maxCost === 'string') return maxCost;
  const timeoutMs = positive('timeout-ms');
  if (typeof timeoutMs === 'string') return timeoutMs;
  // A flag left out keeps the config default (src/config/plannerSchema.ts).
  const planner: { planCache: Record<string, number>; planBudget: Record<string, number> } = { planCache: {}, planBudget: {} };
  for (const [section, key, flag] of PLANNER_FLAGS) {
    const value = positive(flag);
    if (typeof value === 'string') return value;
    if (value !== undefined) planner[section][key] = value;
  }
  const policy = values['default-policy'];
  if (policy !== undefined && policy !== 'public' && policy !== 'authenticated') {
    return `--default-policy: expected public or authenticated, got ${policy}`;
  }
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) return '--tls-cert and --tls-key go together';
  const jwtFlags = [values['jwks-url'], values.issuer, values.audience];
  if (jwtFlags.some((flag) => flag !== undefined) && jwtFlags.some((flag) => flag === undefined)) {
    return '--jwks-url, --issuer and --audience go together: a token is only trusted for a known issuer and audience';
  }
  return {
    file: path.resolve(values.supergraph),
    port,
    host: values.host,
    logger,
    env: process.env,
    maxCost,
    adminPort,
    adminHost: values['admin-host'],
    ...(values['tls-cert'] && values['tls-key'] ? { tls: { certFile: path.resolve(values['tls-cert']), keyFile: path.resolve(values['tls-key']) } } : {}),
    ...(values.traffic ? { trafficFile: path.resolve(values.traffic) } : {}),
    ...(values['jwks-url'] ? { jwt: { jwksUrl: values['jwks-url'], issuer: values.issuer ?? [], audience: values.audience ?? [] } } : {}),
    defaultPolicy: policy,
    queryPlanner: !values['no-query-planner'],
    planner,
    dedupeInFlight: !values['no-dedup'],
    transport: {
      breaker: !values['no-breaker'],
      retries: !values['no-retries'],
      fallbackCache: !values['no-fallback-cache'],
      ...(timeoutMs === undefined ? {} : { timeoutMs }),
    },
  };
}

/** A command's own failure (bad input, not a bug): its message, without a stack, and exit 1. */
function expectedFailure(error: unknown, ...kinds: (abstract new (...args: never[]) => Error)[]): number {
  if (!kinds.some((kind) => error instanceof kind)) throw error;
  process.stderr.write(`portico: ${(error as Error).message}\n`);
  return 1;
}

function usage(problem: string): number {
  if (problem) process.stderr.write(`portico: ${problem}\n`);
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof ConfigError) {
      process.stderr.write(`portico: invalid config: ${error.message}\n`);
      process.exit(78); // EX_CONFIG from sysexits.h: the config, not the code, is at fault.
    }
    process.stderr.write(`portico: failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
