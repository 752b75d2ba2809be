/**
 * Runs one demo subgraph as its own process:
 *   node --import tsx subgraphs/run.ts <users|orders|products|inventory|idp> [--port N] [--host H] [--exit-with-stdin]
 * --exit-with-stdin: exit when stdin closes. A parent that spawns us with a stdin pipe then never
 * leaks us: the pipe closes however the parent dies, even on SIGKILL, when no exit handler runs.
 * Prints exactly one `READY <name> <url>` line on stdout once listening; test/support/subgraphs.ts
 * waits for it, so nothing else may be written to stdout.
 */
import { parseArgs } from 'node:util';
import { isServiceName, SERVICE_NAMES, START_SERVICE } from './index.js';

const USAGE = `usage: run.ts <${SERVICE_NAMES.join('|')}> [--port N] [--host H] [--exit-with-stdin]`;

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      port: { type: 'string', default: '0' },
      host: { type: 'string', default: '127.0.0.1' },
      'exit-with-stdin': { type: 'boolean', default: false },
    },
  });
  const name = positionals[0];
  if (positionals.length !== 1 || name === undefined || !isServiceName(name)) {
    throw new Error(`${USAGE}\ngot: ${positionals.join(' ') || '(no name)'}`);
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`--port: expected an integer from 0 to 65535, got ${JSON.stringify(values.port)}`);
  }

  const subgraph = await START_SERVICE[name]({ port, host: values.host });
  process.stdout.write(`READY ${name} ${subgraph.url}\n`);

  const stop = (reason: string) => {
    process.stderr.write(`${name}: ${reason}, closing\n`);
    subgraph.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error(error);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  if (values['exit-with-stdin']) {
    process.stdin.once('close', () => stop('stdin closed'));
    process.stdin.resume();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
