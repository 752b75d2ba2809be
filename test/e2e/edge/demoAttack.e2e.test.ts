import { connect, type Socket } from 'node:net';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { TEST_ADMIN_TOKEN, useDemoGateway } from '../../support/portico.js';

// The repository's demo config (portico.config.ts, bffs/*) attacked from outside, as a page on
// another site and as a script would: raw sockets where the bytes matter, fetch where a browser's
// request is the point. Everything runs with the demo's own settings, its rate-limit plan included
// (200 points a minute per caller): the bursts that spend it come last, each on its own BFF.

const demo = useDemoGateway({ idp: true, env: { DEMO_RATE_LIMIT_POINTS: '200' } });
const url = (bff: string) => demo.portico.bff(bff).url;
const port = (bff: string) => demo.portico.bff(bff).port;
const EVIL = 'https://evil.example';

interface RawAnswer {
  status: number;
  head: string;
  body: { data?: unknown; errors?: { extensions: Record<string, unknown> }[] } | undefined;
  socketError: string | undefined;
}

/** Writes `head` and `body` on a fresh socket (body after the first answer byte when `pauseAt`), resolves once the server closes. */
function rawRequest(bffPort: number, head: string, body: Buffer = Buffer.alloc(0), pauseAt?: number): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const socket = connect(bffPort, '127.0.0.1');
    const chunks: Buffer[] = [];
    let socketError: string | undefined;
    const answered = new Promise((next) => socket.once('data', next));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => (socketError = error.code));
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [first, payload] = text.split('\r\n\r\n', 2) as [string, string | undefined];
      resolve({ status: Number(first.split(' ')[1]), head: first.toLowerCase(), body: payload ? (JSON.parse(payload) as RawAnswer['body']) : undefined, socketError });
    });
    const send = async (part: Buffer) => {
      for (let at = 0; at < part.length && !socket.destroyed; at += 65_536) {
        if (!socket.write(part.subarray(at, at + 65_536))) await new Promise((next) => (socket.once('drain', next), socket.once('close', next)));
      }
    };
    socket.once('connect', async () => {
      socket.write(head);
      if (pauseAt === undefined) return void (await send(body));
      await send(body.subarray(0, pauseAt));
      await answered;
      await send(body.subarray(pauseAt));
    });
  });
}

const post = (path: string, headers: string[], length: number) =>
  `POST ${path} HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n${headers.map((line) => `${line}\r\n`).join('')}Content-Length: ${length}\r\n\r\n`;
const get = (path: string, headers: string[] = []) => `GET ${path} HTTP/1.1\r\nHost: demo\r\nConnection: close\r\n${headers.map((line) => `${line}\r\n`).join('')}\r\n`;
const GRAPHQL_JSON = { 'content-type': 'application/json', accept: 'application/graphql-response+json' };
const code = (answer: { body?: RawAnswer['body'] }) => answer.body?.errors?.[0]?.extensions['code'];

describe('the demo BFFs under attack', () => {
  // A Slowloris socket opened first and watched while the other attacks run: the demo's 10 s
  // headers timeout must close it within 11 s of its opening.
  let slowHeaders: Promise<{ livedMs: number; raw: string }>;
  beforeAll(() => {
    const started = performance.now();
    const socket: Socket = connect(port('web'), '127.0.0.1');
    const received: Buffer[] = [];
    let drip: NodeJS.Timeout | undefined;
    socket.on('error', () => {});
    socket.on('data', (chunk) => received.push(chunk));
    socket.once('connect', () => {
      socket.write('POST /graphql HTTP/1.1\r\nHost: demo\r\n');
      drip = setInterval(() => socket.writable && socket.write('X-Drip: 1\r\n'), 500);
    });
    slowHeaders = new Promise((resolve) =>
      socket.on('close', () => {
        clearInterval(drip);
        resolve({ livedMs: performance.now() - started, raw: Buffer.concat(received).toString('utf8') });
      }),
    );
  });

  it('CORS: an evil origin\'s preflight gets no grant on any BFF; the web BFF grants its documented dev origin only', async () => {
    for (const bff of ['web', 'mobile', 'partner']) {
      const response = await fetch(url(bff), { method: 'OPTIONS', headers: { origin: EVIL, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type, authorization' } });
      expect(response.headers.get('access-control-allow-origin')).toBeNull();
      expect(response.headers.get('access-control-allow-credentials')).toBeNull();
      const answer = await fetch(url(bff), { method: 'POST', headers: { origin: EVIL, 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' });
      expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    }
    const dev = await fetch(url('web'), { method: 'OPTIONS', headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' } });
    expect(dev.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(dev.headers.get('vary')).toContain('Origin');
  });

  it('CSRF: a simple cross-site GET query gets 400 CSRF_PREFLIGHT_REQUIRED on every BFF', async () => {
    for (const bff of ['web', 'mobile', 'partner']) {
      const answer = await rawRequest(port(bff), get(`/graphql?query=${encodeURIComponent('{ __typename }')}`, [`Origin: ${EVIL}`]));
      expect(answer.status).toBe(400);
      expect(code(answer)).toBe('CSRF_PREFLIGHT_REQUIRED');
    }
  });

  it('duplicate parameters: query twice in the query string, or in the query string and the body, get 400', async () => {
    const twice = await rawRequest(port('web'), get(`/graphql?query=${encodeURIComponent('{ __typename }')}&query=${encodeURIComponent('{ products { id } }')}`, ['graphql-require-preflight: 1']));
    expect(twice.status).toBe(400);
    expect(code(twice)).toBe('DUPLICATE_PARAMETER');
    const body = Buffer.from('{"query":"{ __typename }"}');
    const both = await rawRequest(port('web'), post(`/graphql?query=${encodeURIComponent('{ products { id } }')}`, ['Content-Type: application/json'], body.length), body);
    expect(both.status).toBe(400);
    expect(code(both)).toBe('DUPLICATE_PARAMETER');
  });

  it('deep JSON: variables nested 10 000 deep get 400 JSON_TOO_DEEP', async () => {
    const body = Buffer.from(`{"query":"{ __typename }","variables":{"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`);
    const answer = await rawRequest(port('web'), post('/graphql', ['Content-Type: application/json'], body.length), body);
    expect(answer.status).toBe(400);
    expect(code(answer)).toBe('JSON_TOO_DEEP');
  });

  it('gzip bomb: 20 KB inflating past the 1 MiB body limit gets 413', async () => {
    const bomb = gzipSync(Buffer.alloc(20_000_000, ' '));
    const answer = await rawRequest(port('web'), post('/graphql', ['Content-Type: application/json', 'Content-Encoding: gzip'], bomb.length), bomb);
    expect(answer.status).toBe(413);
    expect(code(answer)).toBe('PAYLOAD_TOO_LARGE');
  });

  it('oversized body: a 3 MB upload gets a 413 it can read, not a reset', async () => {
    const big = Buffer.alloc(3_000_000, ' ');
    const answer = await rawRequest(port('web'), post('/graphql', ['Content-Type: application/json'], big.length), big, 256 * 1024);
    expect(answer.socketError).toBeUndefined();
    expect(answer.status).toBe(413);
    expect(code(answer)).toBe('PAYLOAD_TOO_LARGE');
  });

  it('deep introspection: a 40-deep ofType chain is refused on the dev-mode web BFF', async () => {
    let chain = 'name';
    for (let i = 0; i < 40; i++) chain = `ofType { ${chain} }`;
    const response = await fetch(url('web'), { method: 'POST', headers: GRAPHQL_JSON, body: JSON.stringify({ query: `{ __schema { types { fields { type { ${chain} } } } } }` }) });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('QUERY_TOO_DEEP');
  });

  it('admin: POST /admin/reload without the token gets 401; with it, 200', async () => {
    const admin = demo.portico.admin!.url;
    expect((await fetch(`${admin}/admin/reload`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${admin}/admin/revocations`, { method: 'POST', body: '{"jti":"x","expiresAt":9999999999}' })).status).toBe(401);
    const reloaded = await fetch(`${admin}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(reloaded.status).not.toBe(401);
  });

  it('slow headers: the Slowloris socket opened first got 408 and was closed within the 10 s timeout + 1 s', async () => {
    const { livedMs, raw } = await slowHeaders;
    expect(raw.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');
    expect(livedMs).toBeGreaterThanOrEqual(9_990);
    expect(livedMs).toBeLessThan(11_000);
  }, 20_000);

  it('rate limits: every answer carries RateLimit-Policy and RateLimit, a refused one included', async () => {
    const refused = await fetch(url('partner'), { method: 'POST', headers: GRAPHQL_JSON, body: '{"query":"{ nope }"}' });
    expect(refused.status).toBe(400);
    expect(refused.headers.get('ratelimit-policy')).toBe('"anonymous";q=200;w=60');
    expect(refused.headers.get('ratelimit')).toMatch(/^"anonymous";r=\d+;t=\d+$/);
  });

  /** 300 cheap requests in waves of 20 at once, so the burst outruns the refill even on a loaded machine. */
  async function burst(bff: string, headers: Record<string, string> = {}): Promise<Response[]> {
    const responses: Response[] = [];
    for (let wave = 0; wave < 15; wave++) {
      const answers = await Promise.all(
        Array.from({ length: 20 }, () => fetch(url(bff), { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: '{"query":"{ __typename }"}' })),
      );
      for (const response of answers) {
        if (response.status !== 429) await response.arrayBuffer();
        responses.push(response);
      }
    }
    return responses;
  }

  it('rate limits: a burst of 300 cheap anonymous requests is refused with 429 and Retry-After before its end', async () => {
    const responses = await burst('mobile');
    const admitted = responses.filter((response) => response.status === 200).length;
    const limited = responses.filter((response) => response.status === 429);
    // 200 points, refilled at 200 a minute: about 200 pass, the refill admits a few more.
    expect(admitted).toBeGreaterThanOrEqual(195);
    expect(admitted + limited.length).toBe(300);
    expect(limited.length).toBeGreaterThan(0);
    expect(Number(limited[0]!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(limited[0]!.headers.get('ratelimit')).toMatch(/^"anonymous";r=0;t=\d+$/);
    expect(((await limited[0]!.json()) as { errors: { extensions: { code: string } }[] }).errors[0]!.extensions.code).toBe('RATE_LIMITED');
  }, 60_000);

  it('rate limits: a burst of 300 cheap requests with a demo token is refused with 429 too', async () => {
    const responses = await burst('web', await demo.signIn({ sub: 'u-burst' }));
    const limited = responses.filter((response) => response.status === 429);
    expect(responses.filter((response) => response.status === 200).length).toBeGreaterThanOrEqual(195);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0]!.headers.get('retry-after')).not.toBeNull();
    expect(limited[0]!.headers.get('ratelimit-policy')).toBe('"tenant";q=200;w=60');
  }, 60_000);
});
