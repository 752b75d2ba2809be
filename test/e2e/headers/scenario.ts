import path from 'node:path';
import { pino, type Logger } from 'pino';
import { SignJWT, type JWTPayload } from 'jose';
import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startTestPortico, type TestPortico } from '../../support/portico.js';
import { startAllSubgraphs, type RecordedRequest, type SubgraphSet } from '../../support/subgraphs.js';
import { parsePrometheusText, type Sample } from '../../support/prometheusText.js';
import { ISSUER, SECRET } from './bffHeaders.js';

export interface HeadersScenario {
  readonly subgraphs: SubgraphSet;
  readonly portico: TestPortico;
  /** A bearer token for `sub`, with extra claims. */
  token(sub: string, claims?: JWTPayload): Promise<string>;
  /** Requests each subgraph received since the last reset. */
  received(): Promise<Record<'users' | 'orders' | 'products' | 'inventory', RecordedRequest[]>>;
  scrape(): Promise<Sample[]>;
}

/**
 * The four demo subgraphs as real processes and test/e2e/headers/portico.config.ts in process,
 * once per file; every subgraph reset (counters, request log, extra answer headers) before each test.
 */
export function useHeadersScenario(options: { logger?: Logger } = {}): HeadersScenario {
  let subgraphs: SubgraphSet | undefined;
  let portico: TestPortico | undefined;
  beforeAll(async () => {
    subgraphs = await startAllSubgraphs();
    portico = await startTestPortico(subgraphs, {
      config: path.join(import.meta.dirname, 'portico.config.ts'),
      logger: options.logger ?? pino({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    await portico?.close(0);
    await subgraphs?.[Symbol.asyncDispose]();
  });
  beforeEach(async () => {
    await Promise.all(Object.values(subgraphs!).map((subgraph) => subgraph.reset()));
  });
  return {
    get subgraphs() {
      return subgraphs!;
    },
    get portico() {
      return portico!;
    },
    token: (sub, claims = {}) =>
      new SignJWT({ scope: 'orders:read', ...claims })
        .setProtectedHeader({ alg: 'HS256' })
        .setIssuer(ISSUER)
        .setAudience('portico-headers')
        .setSubject(sub)
        .setExpirationTime('10m')
        .sign(new TextEncoder().encode(SECRET)),
    async received() {
      const s = subgraphs!;
      const [users, orders, products, inventory] = await Promise.all([s.users.requests(), s.orders.requests(), s.products.requests(), s.inventory.requests()]);
      return { users, orders, products, inventory };
    },
    async scrape() {
      const response = await fetch(`${portico!.admin!.url}/metrics`);
      return parsePrometheusText(await response.text());
    },
  };
}
