import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/loadConfig.js';
import { startPortico, type Portico } from '../../src/runtime/startPortico.js';
import { writeConfigDir } from '../support/configDir.js';

// What README's error table and docs/errors.md tell a newcomer (issue 16): a request refused
// while it is validated answers 400 to `application/graphql-response+json` but 200 to a plain
// `application/json` client (GraphQL-over-HTTP: a well-formed request with a JSON answer is
// 200); a refusal at execution (cost) or at the edge (401) keeps its status for both.
let portico: Portico;
let url: string;

beforeAll(async () => {
  const files = await writeConfigDir({
    name: 'media-type',
    bff: { name: 'app', port: 0, sources: ['users'], limits: { maxDepth: 1, maxAliases: 3, maxBatchedOperations: 2 }, cost: { maxCost: 3 } },
  });
  portico = await startPortico(await loadConfig(files.rootFile, {}), { logger: pino({ level: 'silent' }) });
  url = portico.bffs[0]!.url;
});
afterAll(() => portico?.close(0));

const send = async (query: string | unknown[], accept: string, contentType = 'application/json') => {
  const body = typeof query === 'string' ? JSON.stringify({ query }) : JSON.stringify(query);
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType, accept }, body });
  const answer = (await response.json()) as { errors?: { extensions?: { code?: string } }[] } | { errors?: { extensions?: { code?: string } }[] }[];
  const first = Array.isArray(answer) ? answer[0] : answer;
  return { status: response.status, code: first?.errors?.[0]?.extensions?.code };
};

const fourUsers = '{ a: user(id: "u1") { id } b: user(id: "u2") { id } c: user(id: "u3") { id } d: user(id: "u4") { id } }';
const cases: [name: string, query: string, code: string, json: number, graphqlResponse: number][] = [
  ['too deep', '{ user(id: "u1") { tenant { id } } }', 'QUERY_TOO_DEEP', 200, 400],
  ['too many aliases', fourUsers, 'TOO_MANY_ALIASES', 200, 400],
  ['not valid against the schema', '{ nope }', 'GRAPHQL_VALIDATION_FAILED', 200, 400],
  ['not parseable', '{ user(', 'GRAPHQL_PARSE_FAILED', 200, 400],
  ['too costly', '{ a: user(id: "u1") { id } b: user(id: "u2") { id } c: user(id: "u3") { id } user(id: "u4") { id } }', 'COST_LIMIT_EXCEEDED', 400, 400],
  ['anonymous, for a closed field', '{ usersByIds(ids: ["u1"]) { id } }', 'UNAUTHENTICATED', 401, 401],
];

describe('the HTTP status of a refused request, by the media type the client accepts', () => {
  for (const [name, query, code, json, graphqlResponse] of cases) {
    it(`${name}: ${code}, ${json} to application/json and ${graphqlResponse} to application/graphql-response+json`, async () => {
      expect(await send(query, 'application/json')).toEqual({ status: json, code });
      expect(await send(query, 'application/graphql-response+json')).toEqual({ status: graphqlResponse, code });
    });
  }

  it('a batch over the limit: TOO_MANY_OPERATIONS, 400 to both', async () => {
    const batch = Array.from({ length: 3 }, () => ({ query: '{ user(id: "u1") { id } }' }));
    expect(await send(batch, 'application/json')).toEqual({ status: 400, code: 'TOO_MANY_OPERATIONS' });
    expect(await send(batch, 'application/graphql-response+json')).toEqual({ status: 400, code: 'TOO_MANY_OPERATIONS' });
  });

  it('a cross-site-sendable POST: CSRF_PREFLIGHT_REQUIRED, 400 to both', async () => {
    expect(await send('{ user(id: "u1") { id } }', 'application/json', 'text/plain')).toEqual({ status: 400, code: 'CSRF_PREFLIGHT_REQUIRED' });
    expect(await send('{ user(id: "u1") { id } }', 'application/graphql-response+json', 'text/plain')).toEqual({ status: 400, code: 'CSRF_PREFLIGHT_REQUIRED' });
  });
});
