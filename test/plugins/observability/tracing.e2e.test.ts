import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { attribute, startOtlpReceiver, type OtlpReceiver, type OtlpSpan } from '../../support/otlpReceiver.js';
import { gql, repoRoot, startTestPortico, type TestPortico } from '../../support/portico.js';
import { startAllSubgraphs, type SubgraphSet } from '../../support/subgraphs.js';
import { startIdp, type Idp } from '../../support/tokens.js';

const FOUR_SOURCES = /* GraphQL */ `
  query FourSources {
    user(id: "u1") {
      name
      orders(first: 2) { id items { quantity product { name stock { available } } } }
    }
  }
`;
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;
const SERVER = 2;
const CLIENT = 3;

let subgraphs: SubgraphSet;
let idp: Idp;
/** Authorization for a caller who may read orders and stock, as the query needs. */
let auth: Record<string, string>;
let receiver: OtlpReceiver;
let trusting: TestPortico;
let edge: TestPortico;

/** A root config with the repository's sources and web BFF, and the given tracing key. */
async function configWith(tracing: Record<string, unknown>): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'portico-tracing-'));
  const file = path.join(dir, 'portico.config.ts');
  await writeFile(
    file,
    `export default ${JSON.stringify({ sources: path.join(repoRoot, 'schemas/sources.ts'), bffs: [path.join(repoRoot, 'bffs/web')], tracing })};\n`,
  );
  return file;
}

beforeAll(async () => {
  [subgraphs, receiver, idp] = await Promise.all([startAllSubgraphs(), startOtlpReceiver(), startIdp()]);
  auth = { authorization: `Bearer ${await idp.issue({ sub: 'u1', scopes: ['orders:read', 'inventory:read'] })}` };
  // The standard variable turns tracing on; the exporter appends /v1/traces.
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'portico-under-test', IDP_URL: idp.url };
  trusting = await startTestPortico(subgraphs, { env, config: await configWith({ trustIncomingTraceparent: true }) });
  edge = await startTestPortico(subgraphs, { env, config: await configWith({}) });
});
afterAll(async () => {
  await trusting?.close(0);
  await edge?.close(0);
  await receiver?.close();
  await idp?.stop();
  await subgraphs?.[Symbol.asyncDispose]();
});
beforeEach(async () => {
  await Promise.all(Object.values(subgraphs).map((subgraph) => subgraph.reset()));
});

/** Every request the four subgraphs received since the last reset, with the source it hit. */
async function upstreamRequests() {
  const names = { users: 'users', orders: 'orders/orders', products: 'products', inventory: 'inventory' } as const;
  const lists = await Promise.all(
    (Object.keys(names) as (keyof typeof names)[]).map(async (name) =>
      (await subgraphs[name].requests()).map((request) => ({ source: names[name], traceparent: String(request.headers.traceparent ?? '') })),
    ),
  );
  return lists.flat();
}

function spansOfTrace(traceId: string): OtlpSpan[] {
  return receiver.spans().filter((span) => span.traceId === traceId);
}

describe('tracing with a trusted client traceparent', () => {
  it('exports one client span per subgraph call, all in the client trace, each propagated to its subgraph', async () => {
    const { status, body } = await gql(trusting.bff('web').url, FOUR_SOURCES, undefined, { ...auth, traceparent: TRACEPARENT });
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    await trusting.tracing!.flush();

    const spans = spansOfTrace(CLIENT_TRACE);
    const server = spans.filter((span) => span.kind === SERVER);
    expect(server).toHaveLength(1);
    // The gateway's request span is a child of the client's span.
    expect(server[0]!.parentSpanId).toBe(CLIENT_SPAN);
    expect(attribute(server[0]!, 'http.response.status_code')).toBe('200');

    const calls = await upstreamRequests();
    const clientSpans = spans.filter((span) => span.kind === CLIENT);
    // Exactly one span per call the subgraphs saw, and every source of the query was called.
    expect(clientSpans).toHaveLength(calls.length);
    expect(new Set(calls.map((call) => call.source))).toEqual(new Set(['users', 'orders/orders', 'products', 'inventory']));
    const byId = new Map(clientSpans.map((span) => [span.spanId, span]));
    for (const call of calls) {
      const [, traceId, spanId] = call.traceparent.split('-');
      expect(traceId).toBe(CLIENT_TRACE);
      const span = byId.get(spanId!);
      expect(span, `a span for the ${call.source} call ${call.traceparent}`).toBeDefined();
      expect(attribute(span!, 'portico.source')).toBe(call.source);
      expect(attribute(span!, 'http.response.status_code')).toBe('200');
      byId.delete(spanId!);
    }
    expect(byId.size).toBe(0);
    expect(receiver.serviceNames()).toContain('portico-under-test');
  });

  it('nests parse, validate and execute under the request span, and the subgraph calls under execute', async () => {
    const traceId = 'aaaabbbbccccddddeeeeffff00001111';
    await gql(trusting.bff('web').url, FOUR_SOURCES, undefined, { ...auth, traceparent: `00-${traceId}-${CLIENT_SPAN}-01` });
    await trusting.tracing!.flush();
    const spans = spansOfTrace(traceId);
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const ancestors = (span: OtlpSpan) => {
      const names: string[] = [];
      for (let parent = byId.get(span.parentSpanId ?? ''); parent; parent = byId.get(parent.parentSpanId ?? '')) names.push(parent.name);
      return names;
    };
    const named = (name: string) => spans.filter((span) => span.name === name);
    for (const phase of ['graphql.request_parse', 'graphql.parse', 'graphql.validate', 'graphql.context', 'graphql.execute']) {
      expect(named(phase), `${phase} among ${spans.map((span) => span.name).join(', ')}`).toHaveLength(1);
      expect(ancestors(named(phase)[0]!)).toContain('POST /graphql');
    }
    expect(attribute(named('graphql.execute')[0]!, 'graphql.operation.name')).toBe('FourSources');
    const clientSpans = spans.filter((span) => span.kind === CLIENT);
    expect(clientSpans.length).toBeGreaterThanOrEqual(4);
    for (const span of clientSpans) expect(ancestors(span)).toContain('graphql.execute');
  });
});

describe('tracing at the edge (traceparent not trusted, the default)', () => {
  it('starts its own trace, links the client span, and propagates its own trace to the subgraphs', async () => {
    const { status } = await gql(edge.bff('web').url, FOUR_SOURCES, undefined, { ...auth, traceparent: TRACEPARENT });
    expect(status).toBe(200);
    await edge.tracing!.flush();
    const linked = receiver
      .spans()
      .filter((span) => span.kind === SERVER && span.links?.some((link) => link.traceId === CLIENT_TRACE && link.spanId === CLIENT_SPAN));
    expect(linked).toHaveLength(1);
    const own = linked[0]!;
    expect(own.traceId).not.toBe(CLIENT_TRACE);
    expect(own.parentSpanId ?? '').toBe('');
    const calls = await upstreamRequests();
    expect(calls.length).toBeGreaterThanOrEqual(4);
    for (const call of calls) expect(call.traceparent.split('-')[1]).toBe(own.traceId);
    expect(spansOfTrace(own.traceId).filter((span) => span.kind === CLIENT)).toHaveLength(calls.length);
  });

  it('records the client (graphql-client-name/-version, sanitised) on the request span', async () => {
    const before = receiver.spans().length;
    const { status } = await gql(edge.bff('web').url, '{ user(id: "u1") { name } }', undefined, {
      ...auth,
      'apollographql-client-name': 'ios app',
      'apollographql-client-version': '2.3.0',
    });
    expect(status).toBe(200);
    await edge.tracing!.flush();
    const server = receiver.spans().slice(before).filter((span) => span.kind === SERVER);
    expect(server).toHaveLength(1);
    expect(attribute(server[0]!, 'client.name')).toBe('ios_app');
    expect(attribute(server[0]!, 'client.version')).toBe('2.3.0');
  });

  it('ignores a malformed traceparent and still traces the request', async () => {
    const before = receiver.spans().length;
    const { status } = await gql(edge.bff('web').url, '{ user(id: "u1") { name } }', undefined, { ...auth, traceparent: '00-zz-not-a-trace-01' });
    expect(status).toBe(200);
    await edge.tracing!.flush();
    const server = receiver.spans().slice(before).filter((span) => span.kind === SERVER);
    expect(server).toHaveLength(1);
    expect(server[0]!.links ?? []).toEqual([]);
  });
});
