import { GraphQLError } from 'graphql';
import { createSchema, createYoga } from 'graphql-yoga';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { useRequestMetrics } from '../../../src/plugins/observability/useRequestMetrics.js';
import { parsePrometheusText } from '../../support/prometheusText.js';

const schema = createSchema({
  typeDefs: 'type Query { hello: String, teapot: String }',
  resolvers: {
    Query: {
      hello: () => 'world',
      teapot: () => {
        throw new GraphQLError('short and stout', { extensions: { code: 'I_AM_A_TEAPOT' } });
      },
    },
  },
});

function gateway(maxOperationNames: number) {
  const registry = new Registry();
  const yoga = createYoga({ schema, logging: false, batching: { limit: 100 }, plugins: [useRequestMetrics({ bff: 'app', maxOperationNames, registry })] });
  const post = async (body: unknown) => {
    const response = await yoga.fetch('http://gateway/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json' },
      body: JSON.stringify(body),
    });
    await response.text();
    return response.status;
  };
  const samples = async () => parsePrometheusText(await registry.metrics());
  return { post, samples };
}

describe('useRequestMetrics', () => {
  it('adds no series once the name budget is spent, however many names clients invent (10,000 here)', async () => {
    const { post, samples } = gateway(50);
    // 100 batches of 100 operations: 10,000 executed operations, each with a name of its own.
    const sendBatches = async (from: number, to: number) => {
      for (let batch = from; batch < to; batch++) {
        const operations = Array.from({ length: 100 }, (_, j) => ({ query: `query Invented${batch * 100 + j} { hello }` }));
        expect(await post(operations)).toBe(200);
      }
    };
    await sendBatches(0, 10);
    const seriesAfter1000 = (await samples()).length;
    await sendBatches(10, 100);
    const all = await samples();
    const operations = new Set(all.filter((s) => s.name === 'portico_requests_total').map((s) => s.labels.operation));
    // The first batch's first operation names its request; every later batch is folded.
    expect(operations).toEqual(new Set(['Invented0', '__other__']));
    expect(all.find((s) => s.name === 'portico_requests_total' && s.labels.operation === '__other__')?.value).toBe(99);
    expect(all.find((s) => s.name === 'portico_operation_names_folded_total')?.value).toBe(99);
    // 9,000 more names, not one more series.
    expect(all.length).toBe(seriesAfter1000);
  });

  it('gives a label only to the first names of the budget, on requests of their own', async () => {
    const { post, samples } = gateway(3);
    for (let i = 0; i < 10; i++) expect(await post({ query: `query Named${i} { hello }` })).toBe(200);
    const requests = (await samples()).filter((s) => s.name === 'portico_requests_total');
    expect(requests.map((s) => [s.labels.operation, s.value]).sort()).toEqual([
      ['Named0', 1],
      ['Named1', 1],
      ['Named2', 1],
      ['__other__', 7],
    ]);
  });

  it('labels anonymous operations, refused requests and error codes with fixed values', async () => {
    const { post, samples } = gateway(10);
    expect(await post({ query: '{ hello }' })).toBe(200);
    expect(await post({ query: 'query Broken { nope }', operationName: 'Broken' })).toBe(400);
    expect(await post({ query: '{ hello' })).toBe(400);
    expect(await post({ query: '{ teapot }' })).toBe(200);
    const all = await samples();
    const requests = all.filter((s) => s.name === 'portico_requests_total');
    expect(requests.map((s) => [s.labels.operation, s.labels.status, s.value]).sort()).toEqual([
      ['__anonymous__', '200', 2],
      ['__other__', '400', 2],
    ]);
    const codes = all.filter((s) => s.name === 'portico_graphql_errors_total').map((s) => s.labels.code);
    // Catalogue codes keep their value; a code from anywhere else (a subgraph, a library) is OTHER.
    expect(new Set(codes)).toEqual(new Set(['GRAPHQL_VALIDATION_FAILED', 'GRAPHQL_PARSE_FAILED', 'OTHER']));
    expect(all.find((s) => s.name === 'portico_requests_in_flight')?.value).toBe(0);
  });
});
