import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { composeSupergraph } from '../../../src/sources/federation/composeSupergraph.js';
import { scenarios } from '../../fixtures/federation/scenarios.js';
import { startFederationFixture, type FederationFixture } from '../../support/federationFixture.js';
import { runPortico, type CliProcess } from '../../support/cli.js';
import { gql, repoRoot } from '../../support/portico.js';
import { parsePrometheusText } from '../../support/prometheusText.js';
import { startSubgraph, type SubgraphHandle } from '../../support/subgraphs.js';
import { attackerKey, DEMO_ISSUER, plausibleClaims, startIdp, type Idp } from '../../support/tokens.js';

// `portico serve --supergraph` in front of a real federation — the media fixture's three
// subgraphs plus the demo orders subgraph, which starts down (its `down` knob destroys every
// socket, and it still counts each request it receives) — with JWTs from the demo IdP's real
// JWKS. Issue 16: serve runs the BFFs' transport chain and auth plugins, not a bare HTTP call.
const AUDIENCE = 'serve-e2e';
const ORDER_AND_MEDIA = '{ order(id: "o1") { id status } media { id title } }';
const ORDERS = 'supergraph/orders';

let idp: Idp;
let orders: SubgraphHandle;
let media: FederationFixture;
let gateway: CliProcess;
let url: string;
let metricsUrl: string;

beforeAll(async () => {
  // One after another: three tsx start-ups at once on a shared 2-core box miss their READY deadline.
  idp = await startIdp({ readyTimeoutMs: 60_000 });
  orders = await startSubgraph('orders', { FAULT_DOWN: '1' }, { readyTimeoutMs: 60_000 });
  media = await startFederationFixture('media', { readyTimeoutMs: 60_000 });
  const supergraphSdl = composeSupergraph([
    ...scenarios.media.map((subgraph) => ({ name: subgraph.name, url: media.urls[subgraph.name]!, sdl: subgraph.sdl })),
    { name: 'orders', url: orders.url, sdl: await readFile(path.join(repoRoot, 'schemas/orders.graphql'), 'utf8') },
  ]);
  const file = path.join(await mkdtemp(path.join(tmpdir(), 'portico-serve-policies-')), 'supergraph.graphql');
  await writeFile(file, supergraphSdl);
  gateway = runPortico([
    'serve', '--supergraph', file, '--port', '0', '--admin-port', '0',
    '--jwks-url', idp.jwksUrl, '--issuer', DEMO_ISSUER, '--audience', AUDIENCE,
  ]);
  url = (await gateway.waitForLine(/^supergraph (\S+)$/))[1]!;
  metricsUrl = (await gateway.waitForLine(/^metrics (\S+)$/))[1]!;
  // Four processes started one after another: on a loaded CI box that is more than the default minute.
}, 180_000);
afterAll(async () => {
  await gateway?.stop();
  await Promise.all([idp?.stop(), orders?.release(), media?.stop()]);
});

const bearer = async () => ({ authorization: `Bearer ${await idp.issue({ aud: AUDIENCE })}` });
const ordersBreaker = async () => {
  const body = (await (await fetch(new URL('/readyz', url))).json()) as { ready: boolean; sources: Record<string, { breaker: string }> };
  return body.sources[ORDERS]?.breaker;
};
const ordersCalls = async () => (await orders.stats()).byRoute['POST /graphql'] ?? 0;

describe('portico serve --jwks-url --issuer --audience', () => {
  it('refuses an anonymous caller with 401 UNAUTHENTICATED: with tokens configured, fields default to authenticated', async () => {
    const response = await gql(url, '{ media { id } }');
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect(response.body.data ?? null).toBeNull();
  });

  it('refuses a token signed by a key the JWKS does not publish', async () => {
    const attacker = await attackerKey();
    const token = await attacker.sign(plausibleClaims(AUDIENCE));
    const response = await gql(url, '{ media { id } }', undefined, { authorization: `Bearer ${token}` });
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses a token issued for another audience', async () => {
    const token = await idp.issue({ aud: 'some-other-app' });
    const response = await gql(url, '{ media { id } }', undefined, { authorization: `Bearer ${token}` });
    expect(response.status).toBe(401);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses to start with --jwks-url but no --issuer and --audience, saying why', async () => {
    const { code, stderr } = await runPortico(['serve', '--supergraph', 'x.graphql', '--jwks-url', idp.jwksUrl]).exited;
    expect(code).toBe(2);
    expect(stderr).toMatch(/^portico: --jwks-url, --issuer and --audience go together/);
  });

  it('answers a caller with a token from the JWKS', async () => {
    const response = await gql<{ media: { id: string }[] }>(url, '{ media { id } }', undefined, await bearer());
    expect(response.status).toBe(200);
    expect(response.body.errors).toBeUndefined();
    expect(response.body.data?.media.length).toBeGreaterThan(0);
  });
});

describe('portico serve with one subgraph down (issue 16)', () => {
  it('answers its fields null with SUBGRAPH_UNAVAILABLE at their paths, opens its breaker, then sends it nothing; /readyz and /metrics report it', async () => {
    const headers = await bearer();
    const expectDegraded = async () => {
      const { status, body } = await gql<{ order: unknown; media: { id: string }[] }>(url, ORDER_AND_MEDIA, undefined, headers);
      // Partial data: 200 with the other subgraphs' fields, the down one's null with its code.
      expect(status).toBe(200);
      expect(body.data?.order).toBeNull();
      expect(body.data?.media.length).toBeGreaterThan(0);
      expect(body.errors).toEqual([expect.objectContaining({ path: ['order'], extensions: expect.objectContaining({ code: 'SUBGRAPH_UNAVAILABLE' }) })]);
    };

    expect(await ordersBreaker()).toBe('closed');
    // The breaker's defaults: opens once 20 attempts in the window failed at >= 50 %. Each
    // request makes 1-3 attempts (budgeted retries), so it is open within 20 requests.
    let requests = 0;
    while ((await ordersBreaker()) !== 'open') {
      expect(++requests, 'the breaker should open within 20 requests').toBeLessThanOrEqual(20);
      await expectDegraded();
    }
    expect(await ordersCalls()).toBeGreaterThanOrEqual(20);

    const callsWhenOpen = await ordersCalls();
    for (let i = 0; i < 5; i++) await expectDegraded();
    // Counted at the subgraph: an open breaker refuses in the gateway.
    expect(await ordersCalls()).toBe(callsWhenOpen);

    const samples = parsePrometheusText(await (await fetch(metricsUrl)).text());
    const state = (source: string, value: string) =>
      samples.find((s) => s.name === 'portico_source_breaker_state' && s.labels.source === source && s.labels.state === value)?.value;
    expect(state(ORDERS, 'open')).toBe(1);
    expect(state(ORDERS, 'closed')).toBe(0);
    expect(state('supergraph/catalogue', 'closed')).toBe(1);
    const rejected = samples.find((s) => s.name === 'portico_source_calls_total' && s.labels.source === ORDERS && s.labels.outcome === 'rejected');
    expect(rejected?.value).toBeGreaterThanOrEqual(5);
  });
});
