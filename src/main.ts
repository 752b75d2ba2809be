/**
 * The `portico` command. The only module that reads argv, exits the process or installs signal
 * handlers: everything below it is a library that can be started and stopped by tests.
 *
 *   portico start [--config FILE]                         run the configured BFFs
 *   portico serve --supergraph FILE [--port N] [--host H] serve a composed Federation v2 supergraph
 *   portico demo                                          demo subgraphs + the three BFFs (npm start)
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino, type Logger } from 'pino';
import { ConfigError } from './config/configError.js';
import { loadConfig } from './config/loadConfig.js';
import { startPortico } from './server/startPortico.js';
import { serveSupergraph } from './server/serveSupergraph.js';
import { startDemoSubgraphs } from './cli/startDemoSubgraphs.js';

const USAGE = `usage:
  portico start [--config FILE]
  portico serve --supergraph FILE [--port N] [--host H]
  portico demo`;

interface Stoppable {
  close(graceMs?: number): Promise<void>;
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const logger = pino(
    { level: process.env.LOG_LEVEL ?? 'info', base: { pid: process.pid } },
    pino.destination({ sync: false }),
  );
  const running: Stoppable[] = [];
  const stop = onceSignal(logger, running);

  switch (command) {
    case 'start': {
      const { values } = parseArgs({ args: rest, options: { config: { type: 'string', default: 'portico.config.ts' } } });
      const portico = await startPortico(await loadConfig(path.resolve(values.config), process.env), { logger });
      running.push(portico);
      for (const bff of portico.bffs) print(`${bff.name.padEnd(8)} ${bff.url}`);
      break;
    }
    case 'serve': {
      const { values } = parseArgs({
        args: rest,
        options: { supergraph: { type: 'string' }, port: { type: 'string', default: '4000' }, host: { type: 'string', default: '127.0.0.1' } },
      });
      if (!values.supergraph) return usage('--supergraph FILE is required');
      const port = Number(values.port);
      if (!Number.isInteger(port) || port < 0 || port > 65_535) return usage(`--port: expected 0-65535, got ${values.port}`);
      const gateway = await serveSupergraph({ file: path.resolve(values.supergraph), port, host: values.host, logger });
      running.push(gateway);
      print(`supergraph ${gateway.url}`);
      break;
    }
    case 'demo': {
      const subgraphs = await startDemoSubgraphs(process.env);
      running.push(subgraphs);
      for (const [name, url] of Object.entries(subgraphs.urls)) print(`subgraph ${name.padEnd(10)} ${url}`);
      const portico = await startPortico(
        await loadConfig(path.resolve('portico.config.ts'), { ...process.env, ...subgraphs.env }),
        { logger },
      );
      running.unshift(portico);
      for (const bff of portico.bffs) print(`bff      ${bff.name.padEnd(10)} ${bff.url}`);
      print('Ctrl-C stops everything.');
      break;
    }
    default:
      return usage(command === undefined ? '' : `unknown command "${command}"`);
  }
  return stop;
}

function onceSignal(logger: Logger, running: Stoppable[]): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    const handler = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      logger.info({ signal }, 'draining');
      void (async () => {
        for (const item of running) await item.close();
        logger.flush();
        resolve(0);
      })();
    };
    process.on('SIGTERM', handler);
    process.on('SIGINT', handler);
  });
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
