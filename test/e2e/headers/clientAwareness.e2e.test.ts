import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { gql } from '../../support/portico.js';
import { useHeadersScenario } from './scenario.js';

// Client awareness: graphql-client-name/-version (and apollographql-client-*) as bounded labels
// on the request series, fields in the access log. Budget (./portico.config.ts): `ios`
// configured, one more name learned, one version per name.

const lines: Record<string, unknown>[] = [];
const logger = pino(
  { level: 'info' },
  new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  }),
);
const scenario = useHeadersScenario({ logger });
const QUERY = '{ product(id: "p1") { name } }';

const clientSeries = async (bff: string) =>
  (await scenario.scrape())
    .filter((sample) => sample.name === 'portico_requests_total' && sample.labels.bff === bff && sample.labels.status === '200')
    .map((sample) => ({ name: sample.labels.client_name, version: sample.labels.client_version, count: sample.value }));

describe('client awareness', () => {
  it('labels request metrics by client name and version within the budget; the rest is other, no header is none', async () => {
    const url = scenario.portico.bff('web').url;
    const send = (headers: Record<string, string>) => gql(url, QUERY, undefined, headers);
    // The first unconfigured name is learned; `ios` is configured, so a later arrival still gets its own value.
    await send({ 'apollographql-client-name': 'android', 'apollographql-client-version': '7.1' });
    await send({ 'graphql-client-name': 'web-admin', 'graphql-client-version': '1' });
    await send({ 'graphql-client-name': 'ios', 'graphql-client-version': '2.3.0' });
    await send({ 'graphql-client-name': 'ios', 'graphql-client-version': '2.4.0' });
    await send({ 'graphql-client-name': 'ios', 'graphql-client-version': '2.3.0' });
    await send({});
    // 50 invented names and versions: no new series.
    await Promise.all(Array.from({ length: 50 }, (_, i) => send({ 'graphql-client-name': `bot-${i}`, 'graphql-client-version': String(i) })));

    const series = await clientSeries('web');
    expect(series).toEqual(
      expect.arrayContaining([
        { name: 'android', version: '7.1', count: 1 },
        { name: 'ios', version: '2.3.0', count: 2 },
        // One version per name: the second ios version seen is `other`.
        { name: 'ios', version: 'other', count: 1 },
        { name: 'none', version: 'none', count: 1 },
        { name: 'other', version: 'other', count: 51 },
      ]),
    );
    expect(series).toHaveLength(5);
    // The histogram carries the name only.
    const histogram = (await scenario.scrape()).filter((s) => s.name === 'portico_request_duration_seconds_count' && s.labels.bff === 'web');
    expect(new Set(histogram.map((s) => s.labels.client_name))).toEqual(new Set(['android', 'ios', 'none', 'other']));
    expect(histogram.every((s) => s.labels.client_version === undefined)).toBe(true);
  });

  it('logs the client of each request, sanitised, and forwards the client headers to no source without a rule', async () => {
    const url = scenario.portico.bff('stitch').url;
    const response = await gql(url, QUERY, undefined, { 'graphql-client-name': 'ios<script>"x"', 'graphql-client-version': ` 2.3.0 ${'9'.repeat(100)}` });
    expect(response.status).toBe(200);
    const line = lines.findLast((entry) => entry.msg === 'request' && entry.bff === 'stitch');
    expect(line).toMatchObject({ clientName: 'ios_script__x_', clientVersion: `2.3.0_${'9'.repeat(58)}` });
    const { products } = await scenario.received();
    expect(products.length).toBeGreaterThan(0);
    for (const request of products) expect(request.headers['graphql-client-name']).toBeUndefined();
  });
});
