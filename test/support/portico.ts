import path from 'node:path';
import { pino, type Logger } from 'pino';
import { loadConfig, type Env } from '../../src/config/loadConfig.js';
import { startPortico, type Portico } from '../../src/runtime/startPortico.js';
import type { RunningBff } from '../../src/server/createBffServer.js';
import { afterAll, beforeAll } from 'vitest';
import { startAllSubgraphs, type SubgraphHandle, type SubgraphSet } from './subgraphs.js';
import { startIdp, type Idp } from './tokens.js';
import type { TokenRequest } from '../../subgraphs/idp/server.js';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

/** The admin bearer token of the demo config in tests (`Authorization: Bearer …` for POST /admin/*). */
export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef0123456789';

export interface TestPortico extends Portico {
  bff(name: string): RunningBff;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Starts the repository's own config (portico.config.ts) in this process, pointed at the given
 * subgraph processes, every BFF on a free port. The gateway runs in-process; everything it
 * talks to is a real process on a real socket.
 */
export async function startTestPortico(
  subgraphs: Partial<Record<'users' | 'orders' | 'products' | 'inventory', SubgraphHandle>>,
  options: { env?: Env; logger?: Logger; config?: string } = {},
): Promise<TestPortico> {
  const env: Record<string, string | undefined> = {
    WEB_PORT: '0',
    MOBILE_PORT: '0',
    PARTNER_PORT: '0',
    USERS_URL: subgraphs.users?.url ?? 'http://127.0.0.1:9/graphql',
    ORDERS_URL: subgraphs.orders?.url ?? 'http://127.0.0.1:9/graphql',
    PRODUCTS_URL: subgraphs.products?.url ?? 'http://127.0.0.1:9',
    INVENTORY_URL: subgraphs.inventory?.url ?? 'http://127.0.0.1:9',
    // The admin listener (/metrics) on a free port, so test files running at once never clash.
    ADMIN_PORT: '0',
    // No IdP unless a test starts one (test/support/tokens.ts startIdp) and passes its url:
    // never a developer's `npm start` IdP on the default port.
    IDP_URL: 'http://127.0.0.1:9',
    // The demo BFFs' rate-limit plan (bffs/demoRateLimit.ts) is 200 points a minute per caller;
    // every test here calls from 127.0.0.1, so the suite gets a plan it never exhausts. Tests of
    // the demo plan itself pass DEMO_RATE_LIMIT_POINTS (test/e2e/edge/demoAttack.test.ts).
    DEMO_RATE_LIMIT_POINTS: '100000000',
    // The admin token portico.config.ts reads (POST /admin/* needs it).
    PORTICO_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    ...options.env,
  };
  const loaded = await loadConfig(options.config ?? path.join(repoRoot, 'portico.config.ts'), env);
  // `PORTICO_TEST_ENGINE=stitch npm run test:stitch` runs the same tests, with the same expected
  // answers, on the other engine (docs/query-planner.md, differential testing).
  const engine = process.env['PORTICO_TEST_ENGINE'] as 'plan' | 'stitch' | undefined;
  const config = engine === 'stitch' || engine === 'plan' ? { ...loaded, bffs: loaded.bffs.map((bff) => ({ ...bff, engine })) } : loaded;
  const portico = await startPortico(config, { logger: options.logger ?? pino({ level: 'silent' }) });
  return {
    ...portico,
    bff(name) {
      const found = portico.bffs.find((bff) => bff.name === name);
      if (!found) throw new Error(`no BFF named ${name}`);
      return found;
    },
    [Symbol.asyncDispose]: () => portico.close(0),
  };
}

export interface GraphQLResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: { data?: T | null; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[] };
}

/** POSTs a GraphQL request the way a browser client would. */
export async function gql<T = Record<string, any>>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GraphQLResponse<T>> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let body: GraphQLResponse<T>['body'];
  try {
    body = JSON.parse(text) as GraphQLResponse<T>['body'];
  } catch {
    throw new Error(`non-JSON response ${response.status}: ${text.slice(0, 200)}`);
  }
  return { status: response.status, headers: response.headers, body };
}

/**
 * The demo topology for a test file: the four demo subgraphs as real processes and the repo's
 * three BFFs in-process, started once in beforeAll and stopped in afterAll.
 */
export function useDemoGateway(
  options: { env?: Env; /** Also start the demo IdP, so tests can sign in (demo.signIn). */ idp?: boolean } = {},
): { readonly subgraphs: SubgraphSet; readonly portico: TestPortico; signIn(request?: Partial<TokenRequest>): Promise<Record<string, string>> } {
  let subgraphs: SubgraphSet | undefined;
  let portico: TestPortico | undefined;
  let idp: Idp | undefined;
  beforeAll(async () => {
    [subgraphs, idp] = await Promise.all([startAllSubgraphs(), options.idp ? startIdp() : undefined]);
    portico = await startTestPortico(subgraphs, idp ? { env: { ...options.env, IDP_URL: idp.url } } : options);
  });
  afterAll(async () => {
    await portico?.close(0);
    await Promise.all([subgraphs?.[Symbol.asyncDispose](), idp?.stop()]);
  });
  return {
    /** An Authorization header with a demo IdP token (sub u1 unless `request` says otherwise). */
    async signIn(request = {}) {
      if (!idp) throw new Error('useDemoGateway({ idp: true }) starts the IdP signIn needs');
      return { authorization: `Bearer ${await idp.issue(request)}` };
    },
    get subgraphs() {
      if (!subgraphs) throw new Error('the demo gateway is not started yet (use it inside tests or hooks)');
      return subgraphs;
    },
    get portico() {
      if (!portico) throw new Error('the demo gateway is not started yet (use it inside tests or hooks)');
      return portico;
    },
  };
}
