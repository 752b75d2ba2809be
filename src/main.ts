/**
 * The `portico` command. The only module that reads argv, exits the process or installs signal
 * handlers: everything below it is a library that can be started and stopped by tests.
 *
 *   portico start [--config FILE]                         run the configured BFFs
 *   portico serve --supergraph FILE [--port N] [--host H] [--max-cost N] [--no-query-planner]
 *                                                         serve a composed Federation v2 supergraph
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
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino, type Logger } from 'pino';
import { ConfigError } from './config/configError.js';
import { loadConfig } from './config/loadConfig.js';
import { DocumentBuildError, writeDocumentStore } from './cli/buildDocumentStore.js';

const USAGE = `usage:
  portico start [--config FILE]
  portico serve --supergraph FILE [--port N] [--host H] [--max-cost N] [--no-query-planner]
  portico demo
  portico documents build DIR --out FILE
  portico plan --bff NAME ['{ … }' | --file FILE] [--variables JSON] [--operation NAME] [--json] [--config FILE]
  portico check --against GIT_REF|DIR [--json] [--config FILE]
  portico compose --subgraph NAME=FILE|URL[@ROUTING_URL] ... [--out FILE]`;

interface Stoppable {
  close(graceMs?: number): Promise<unknown>;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const logger = pino(
    { level: process.env.LOG_LEVEL ?? 'info', base: { pid: process.pid } },
    // Under load the access log is a line per request: lines are gathered into writes of at least
    // 4 KiB instead of one write each (one syscall on the libuv pool per line costs more than the
    // line), and whatever is gathered is written within 250 ms when traffic is low. Shutdown and
    // a crash flush what is pending; only a SIGKILL can lose the last 250 ms of lines.
    pino.destination({ sync: false, minLength: 4096, periodicFlush: 250 }),
  );
  const running: Stoppable[] = [];
  const stop = onceSignal(logger, running);

  switch (command) {
    case 'start': {
      const { values } = parseArgs({ args: rest, options: { config: { type: 'string', default: 'portico.config.ts' } } });
      const file = path.resolve(values.config);
      // Each command imports what it runs: `plan` or `check` need no server, Redis or tracer.
      const { startPortico } = await import('./runtime/startPortico.js');
      const portico = await startPortico(await loadConfig(file, process.env), {
        logger,
        loadConfig: () => loadConfig(file, process.env, { fresh: true }),
      });
      running.push(portico);
      reloadOnHangup(portico);
      for (const bff of portico.bffs) print(`${bff.name.padEnd(8)} ${bff.url}`);
      if (portico.admin) print(`${'metrics'.padEnd(8)} ${portico.admin.url}/metrics`);
      break;
    }
    case 'serve': {
      const { values } = parseArgs({
        args: rest,
        options: {
          supergraph: { type: 'string' },
          port: { type: 'string', default: '4000' },
          host: { type: 'string', default: '127.0.0.1' },
          'max-cost': { type: 'string' },
          // Runs every operation by stitching: to compare the engines, or to rule the planner out.
          'no-query-planner': { type: 'boolean', default: false },
        },
      });
      if (!values.supergraph) return usage('--supergraph FILE is required');
      const port = Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) return usage(`--port: expected 0-65535, got ${values.port}`);
      const maxCost = values['max-cost'] === undefined ? undefined : Number(values['max-cost']);
      if (maxCost !== undefined && !(Number.isInteger(maxCost) && maxCost > 0)) {
        return usage(`--max-cost: expected a positive integer, got ${values['max-cost']}`);
      }
      const { serveSupergraph } = await import('./runtime/serveSupergraph.js');
      const gateway = await serveSupergraph({
        file: path.resolve(values.supergraph),
        port,
        host: values.host,
        logger,
        ...(maxCost === undefined ? {} : { maxCost }),
        queryPlanner: !values['no-query-planner'],
      });
      running.push(gateway);
      print(`supergraph ${gateway.url}`);
      break;
    }
    case 'demo': {
      const { startDemoSubgraphs } = await import('./cli/startDemoSubgraphs.js');
      const { startPortico } = await import('./runtime/startPortico.js');
      const subgraphs = await startDemoSubgraphs(process.env);
      running.push(subgraphs);
      for (const [name, url] of Object.entries(subgraphs.urls)) print(`subgraph ${name.padEnd(10)} ${url}`);
      const env = { ...process.env, ...subgraphs.env };
      const file = path.resolve('portico.config.ts');
      const portico = await startPortico(await loadConfig(file, env), { logger, loadConfig: () => loadConfig(file, env, { fresh: true }) });
      running.unshift(portico);
      reloadOnHangup(portico);
      for (const bff of portico.bffs) print(`bff      ${bff.name.padEnd(10)} ${bff.url}`);
      if (portico.admin) print(`admin    ${'metrics'.padEnd(10)} ${portico.admin.url}/metrics`);
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
