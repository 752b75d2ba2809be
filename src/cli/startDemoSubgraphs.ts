import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

// idp: the demo identity provider (JWKS + token endpoint) the BFFs' auth config points at.
const SUBGRAPHS = { users: 4101, orders: 4102, products: 4103, inventory: 4104, idp: 4105 } as const;
const runner = fileURLToPath(new URL('../../subgraphs/run.ts', import.meta.url));

export interface DemoSubgraphs {
  urls: Record<string, string>;
  /** The env entries that point schemas/sources.ts at these processes. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * Starts the four demo subgraphs and the demo IdP as child processes (so `npm start` is one command), each on
 * its documented port unless `<NAME>_PORT` says otherwise.
 */
export async function startDemoSubgraphs(env: Readonly<Record<string, string | undefined>>): Promise<DemoSubgraphs> {
  const children: ChildProcess[] = [];
  const urls: Record<string, string> = {};
  const close = async () => {
    await Promise.all(children.map((child) => stopChild(child)));
  };
  try {
    for (const [name, defaultPort] of Object.entries(SUBGRAPHS)) {
      const port = env[`${name.toUpperCase()}_PORT`] ?? String(defaultPort);
      // A stdin pipe the child exits on when it closes: the subgraphs go with the demo however it
      // ends (a config error's exit, a crash, SIGKILL), instead of holding the demo's ports.
      const child = spawn(process.execPath, ['--import', 'tsx', runner, name, '--port', port, '--exit-with-stdin'], {
        stdio: ['pipe', 'pipe', 'inherit'],
      });
      children.push(child);
      urls[name] = await readyUrl(child, name);
    }
  } catch (error) {
    await close();
    throw error;
  }
  return {
    urls,
    env: {
      USERS_URL: urls.users!,
      ORDERS_URL: urls.orders!,
      PRODUCTS_URL: urls.products!,
      INVENTORY_URL: urls.inventory!,
      IDP_URL: urls.idp!,
    },
    close,
  };
}

function readyUrl(child: ChildProcess, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      const [word, reported, url] = line.split(' ');
      if (word === 'READY' && reported === name && url) resolve(url);
    });
    child.once('exit', (code) => reject(new Error(`demo subgraph ${name} exited with code ${code} before it was ready`)));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
