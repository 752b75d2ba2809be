import { makeExecutableSchema } from '@graphql-tools/schema';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedBff } from '../../../src/config/loadConfig.js';
import { bffSchema, type BffConfigInput } from '../../../src/config/schema.js';
import { corsSchema } from '../../../src/config/corsSchema.js';
import { compileOrigins } from '../../../src/plugins/edge/corsPolicy.js';
import { useCors } from '../../../src/plugins/edge/useCors.js';
import { useCsrfPrevention } from '../../../src/plugins/csrf/useCsrfPrevention.js';
import { startBffServer, type RunningBff } from '../../../src/server/createBffServer.js';

// A real BFF server asked the way a browser asks: an Origin preflight, then the request itself.

const schema = makeExecutableSchema({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'world' } } });

async function startEdge(overrides: Partial<BffConfigInput>): Promise<RunningBff> {
  const bff: LoadedBff = { ...bffSchema.parse({ name: 'edge', port: 0, sources: ['none'], ...overrides }), file: 'test' };
  const plugins = [...(bff.cors ? [useCors(bff.cors)] : []), useCsrfPrevention(bff.csrf)];
  return startBffServer({ bff, schema, plugins, logger: pino({ level: 'silent' }) });
}

const preflight = (url: string, origin: string) =>
  fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' } });
const post = (url: string, origin: string) =>
  fetch(url, { method: 'POST', headers: { origin, 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ hello }' }) });
const grantHeaders = (response: Response) => [...response.headers.keys()].filter((name) => name.startsWith('access-control-'));

describe('a BFF with a cors config', () => {
  let edge: RunningBff;
  beforeAll(async () => {
    edge = await startEdge({ cors: { origins: ['https://app.example.com', 'https://*.shop.example'], credentials: true } });
  });
  afterAll(() => edge?.close(0));

  it('grants a listed origin its preflight: methods, headers, credentials, max age, Vary', async () => {
    const response = await preflight(edge.url, 'https://app.example.com');
    expect(response.status).toBe(204);
    expect(response.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(response.headers.get('access-control-allow-credentials')).toBe('true');
    expect(response.headers.get('access-control-allow-methods')).toBe('GET, POST');
    expect(response.headers.get('access-control-allow-headers')).toContain('authorization');
    expect(response.headers.get('access-control-max-age')).toBe('600');
    expect(response.headers.get('vary')).toContain('Origin');
  });

  it('gives an evil origin\'s preflight no grant at all, only Vary', async () => {
    for (const origin of ['https://evil.example', 'https://app.example.com.evil.example', 'null', 'https://a.b.shop.example']) {
      const response = await preflight(edge.url, origin);
      expect(grantHeaders(response)).toEqual([]);
      expect(response.headers.get('vary')).toContain('Origin');
    }
  });

  it('answers a listed origin (pattern too) with the grant and the exposed headers, an unlisted one without', async () => {
    const listed = await post(edge.url, 'https://eu.shop.example');
    expect(listed.status).toBe(200);
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://eu.shop.example');
    expect(listed.headers.get('access-control-expose-headers')).toBe('RateLimit, RateLimit-Policy, Retry-After, x-request-id');
    expect(listed.headers.get('vary')).toBe('Origin');
    const evil = await post(edge.url, 'https://evil.example');
    expect(grantHeaders(evil)).toEqual([]);
    expect(evil.headers.get('vary')).toBe('Origin');
  });

  it('puts Vary: Origin on error answers too', async () => {
    const refused = await fetch(edge.url, { method: 'POST', headers: { origin: 'https://app.example.com', 'content-type': 'text/plain' }, body: '{}' });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('access-control-allow-origin')).toBe('https://app.example.com');
    expect(refused.headers.get('vary')).toBe('Origin');
  });
});

describe('a BFF without a cors config', () => {
  let edge: RunningBff;
  beforeAll(async () => {
    edge = await startEdge({});
  });
  afterAll(() => edge?.close(0));

  it('sends no CORS headers at all, to a preflight or a request (yoga would reflect any origin)', async () => {
    expect(grantHeaders(await preflight(edge.url, 'https://evil.example'))).toEqual([]);
    const response = await post(edge.url, 'https://evil.example');
    expect(response.status).toBe(200);
    expect(grantHeaders(response)).toEqual([]);
  });
});

describe('cors config', () => {
  it.each([['*'], ['null'], ['https://app.example.com/'], ['https://*'], [/app\.example\.com/]])('refuses %s as an origin', (origin) => {
    expect(corsSchema.safeParse({ origins: [origin] }).success).toBe(false);
  });

  it('matches one label for "*", exact strings exactly, and anchored RegExps', () => {
    const allowed = compileOrigins(['https://*.example.com', 'http://localhost:5173', /^https:\/\/pr-\d+\.preview\.example$/]);
    expect(allowed('https://app.example.com')).toBe(true);
    expect(allowed('https://example.com')).toBe(false);
    expect(allowed('https://a.b.example.com')).toBe(false);
    expect(allowed('https://app.example.com.evil.net')).toBe(false);
    expect(allowed('http://app.example.com')).toBe(false);
    expect(allowed('http://localhost:5173')).toBe(true);
    expect(allowed('http://localhost:51730')).toBe(false);
    expect(allowed('https://pr-12.preview.example')).toBe(true);
  });
});
