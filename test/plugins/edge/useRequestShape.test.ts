import { connect } from 'node:net';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedBff } from '../../../src/config/loadConfig.js';
import { bffSchema } from '../../../src/config/schema.js';
import { scanJson } from '../../../src/plugins/edge/scanJson.js';
import { useRequestShape } from '../../../src/plugins/edge/useRequestShape.js';
import { startBffServer, type RunningBff } from '../../../src/server/createBffServer.js';

// Duplicate parameters and deep JSON sent over raw sockets: exactly the bytes given, no client
// library normalising the query string or the body on the way.

const schema = makeExecutableSchema({
  typeDefs: 'type Query { hello(name: String): String, echo(input: JSON): Boolean } scalar JSON',
  resolvers: { Query: { hello: (_: unknown, args: { name?: string }) => `hello ${args.name ?? 'world'}`, echo: () => true } },
});

let edge: RunningBff;
beforeAll(async () => {
  const bff: LoadedBff = { ...bffSchema.parse({ name: 'edge', port: 0, sources: ['none'], limits: { maxJsonDepth: 8 } }), file: 'test' };
  edge = await startBffServer({ bff, schema, plugins: [useRequestShape({ maxJsonDepth: bff.limits.maxJsonDepth })], logger: pino({ level: 'silent' }) });
});
afterAll(() => edge?.close(0));

/** One request over a fresh socket; resolves with status and parsed JSON body. */
function raw(requestLine: string, headers: string[] = [], body = ''): Promise<{ status: number; body: { data?: unknown; errors?: { extensions: Record<string, unknown> }[] } }> {
  return new Promise((resolve, reject) => {
    const socket = connect(edge.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, payload] = text.split('\r\n\r\n', 2) as [string, string];
      resolve({ status: Number(head.split(' ')[1]), body: JSON.parse(payload) as never });
    });
    const lines = [requestLine, 'Host: edge', 'Connection: close', ...headers];
    if (body) lines.push(`Content-Length: ${Buffer.byteLength(body)}`);
    socket.write(`${lines.join('\r\n')}\r\n\r\n${body}`);
  });
}

const q = (text: string) => encodeURIComponent(text);
const JSON_HEADERS = ['Content-Type: application/json'];

describe('duplicate GraphQL parameters', () => {
  it.each([
    ['query', `query=${q('{ hello }')}&query=${q('{ echo }')}`],
    ['operationName', `query=${q('query A { hello } query B { echo }')}&operationName=A&operationName=B`],
    ['variables', `query=${q('query ($n: String) { hello(name: $n) }')}&variables=${q('{"n":"a"}')}&variables=${q('{"n":"b"}')}`],
    ['extensions', `query=${q('{ hello }')}&extensions=${q('{}')}&extensions=${q('{}')}`],
  ])('a GET with %s twice in the query string gets 400 DUPLICATE_PARAMETER', async (parameter, search) => {
    const answer = await raw(`GET /graphql?${search} HTTP/1.1`, JSON_HEADERS);
    expect(answer.status).toBe(400);
    expect(answer.body.errors![0]!.extensions).toMatchObject({ code: 'DUPLICATE_PARAMETER', parameter });
    expect(answer.body.data).toBeUndefined();
  });

  it('a POST with query both in the query string and the body gets 400', async () => {
    const answer = await raw(`POST /graphql?query=${q('{ echo }')} HTTP/1.1`, JSON_HEADERS, JSON.stringify({ query: '{ hello }' }));
    expect(answer.status).toBe(400);
    expect(answer.body.errors![0]!.extensions).toMatchObject({ code: 'DUPLICATE_PARAMETER', parameter: 'query' });
  });

  it('a JSON body naming query twice gets 400, even spelt with an escape (JSON.parse would keep the last)', async () => {
    for (const body of ['{"query":"{ hello }","query":"{ echo }"}', '{"query":"{ hello }","qu\\u0065ry":"{ echo }"}']) {
      const answer = await raw('POST /graphql HTTP/1.1', JSON_HEADERS, body);
      expect(answer.status).toBe(400);
      expect(answer.body.errors![0]!.extensions).toMatchObject({ code: 'DUPLICATE_PARAMETER', parameter: 'query' });
    }
  });

  it('runs a request with each parameter once, and nested keys named like parameters', async () => {
    const body = JSON.stringify({ query: 'query ($v: JSON) { echo(input: $v) }', variables: { v: { query: 1, variables: [{ query: 2 }] } } });
    expect(await raw('POST /graphql HTTP/1.1', JSON_HEADERS, body)).toEqual({ status: 200, body: { data: { echo: true } } });
    expect(await raw(`GET /graphql?query=${q('{ hello }')} HTTP/1.1`, JSON_HEADERS)).toEqual({ status: 200, body: { data: { hello: 'hello world' } } });
  });
});

describe('deep JSON', () => {
  const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

  it('a body nested past maxJsonDepth gets 400 JSON_TOO_DEEP, a 100 000-deep one too, before any parse', async () => {
    for (const depth of [9, 100_000]) {
      const body = `{"query":"query ($v: JSON) { echo(input: $v) }","variables":{"v":${nested(depth)}}}`;
      const answer = await raw('POST /graphql HTTP/1.1', JSON_HEADERS, body);
      expect(answer.status).toBe(400);
      expect(answer.body.errors![0]!.extensions).toMatchObject({ code: 'JSON_TOO_DEEP', maxJsonDepth: 8 });
    }
  });

  it('GET variables and extensions nested past the limit get 400 JSON_TOO_DEEP', async () => {
    for (const name of ['variables', 'extensions']) {
      const answer = await raw(`GET /graphql?query=${q('{ hello }')}&${name}=${q(`{"v":${nested(20)}}`)} HTTP/1.1`, JSON_HEADERS);
      expect(answer.status).toBe(400);
      expect(answer.body.errors![0]!.extensions['code']).toBe('JSON_TOO_DEEP');
    }
  });

  it('runs JSON at the limit', async () => {
    // The body object is level 1, variables 2, v 3: six more arrays make 8.
    const body = `{"query":"query ($v: JSON) { echo(input: $v) }","variables":{"v":${nested(6)}}}`;
    expect(await raw('POST /graphql HTTP/1.1', JSON_HEADERS, body)).toEqual({ status: 200, body: { data: { echo: true } } });
  });
});

describe('scanJson', () => {
  it.each([
    ['{"a":[{"b":{}}]}', 4, true],
    ['{"a":[{"b":{}}]}', 3, false],
    ['{"a":"[[[[[[[["}', 1, true],
    ['{"a":"\\"[[[[["}', 1, true],
  ])('%s within depth %i: %s', (text, depth, ok) => {
    expect(scanJson(text, depth).ok).toBe(ok);
  });

  it('finds duplicates in each request object of a batch, not across them', () => {
    expect(scanJson('[{"query":"a"},{"query":"b"}]', 10)).toEqual({ ok: true, keys: ['query', 'query'] });
    expect(scanJson('[{"query":"a","query":"b"}]', 10)).toEqual({ ok: false, duplicate: 'query' });
    expect(scanJson('{"variables":{"query":1,"query":2},"query":"x"}', 10)).toEqual({ ok: true, keys: ['variables', 'query'] });
  });
});
