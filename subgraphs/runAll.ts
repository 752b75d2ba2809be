/**
 * Runs all four demo subgraphs in one process, for `npm start`-style local demos:
 *   node --import tsx subgraphs/runAll.ts
 * Ports come from USERS_PORT, ORDERS_PORT, PRODUCTS_PORT, INVENTORY_PORT (defaults 4101-4104);
 * HOST defaults to 127.0.0.1. FAULT_* variables apply to all four.
 */
import { START_SUBGRAPH, SUBGRAPH_NAMES, type RunningSubgraph, type SubgraphName } from './index.js';

const DEFAULT_PORTS: Record<SubgraphName, number> = { users: 4101, orders: 4102, products: 4103, inventory: 4104 };

function portFor(name: SubgraphName): number {
  const variable = `${name.toUpperCase()}_PORT`;
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return DEFAULT_PORTS[name];
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new Error(`${variable}: expected an integer from 0 to 65535, got ${JSON.stringify(raw)}`);
  }
  return port;
}

async function main(): Promise<void> {
  const host = process.env['HOST'] || '127.0.0.1';
  const running: RunningSubgraph[] = [];
  const closeAll = () => Promise.allSettled(running.map((subgraph) => subgraph.close()));
  try {
    for (const name of SUBGRAPH_NAMES) {
      const subgraph = await START_SUBGRAPH[name]({ port: portFor(name), host });
      running.push(subgraph);
      process.stdout.write(`READY ${name} ${subgraph.url}\n`);
    }
  } catch (error) {
    // Do not leave the ones that started holding their ports.
    await closeAll();
    throw error;
  }
  const stop = () => {
    void closeAll().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
