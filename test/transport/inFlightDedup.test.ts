import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createHttpClient, type HttpClient, type UpstreamRequest } from '../../src/transport/httpClient.js';
import { inFlightHeadKey, sameHead } from '../../src/transport/inFlightDedup.js';
import { mulberry32 } from '../../bench/lib/mulberry32.js';
import { createIdentityHeaderWriter } from '../../src/plugins/auth/identityHeaders.js';
import { ANONYMOUS, type Principal } from '../../src/context/principal.js';

/**
 * An upstream that holds every answer until the test releases it, so "in flight at the same
 * moment" is arranged, not hoped for. Each answer echoes the identity the upstream was sent.
 */
interface GatedUpstream {
  url: string;
  seen: IncomingHttpHeaders[];
  /** Sockets the gateway closed before an answer was sent. */
  abandoned: number;
  arrived(n: number): Promise<void>;
  releaseAll(): void;
  close(): Promise<void>;
}

async function startGatedUpstream(): Promise<GatedUpstream> {
  const seen: IncomingHttpHeaders[] = [];
  const held: (() => void)[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let released = false;
  let abandoned = 0;
  const server = createServer((req, res: ServerResponse) => {
    seen.push(req.headers);
    for (const waiter of waiters.filter((w) => seen.length >= w.n)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    req.resume();
    const answer = () => {
      if (res.destroyed) return;
      res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({ data: { subject: req.headers['x-portico-subject'] ?? null, tenant: req.headers['x-portico-tenant'] ?? null } }),
      );
    };
    res.once('close', () => {
      if (!res.writableFinished) abandoned++;
    });
    if (released) answer();
    else held.push(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const upstream: GatedUpstream = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    seen,
    get abandoned() {
      return abandoned;
    },
    arrived(n) {
      if (seen.length >= n) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ n, resolve }));
    },
    releaseAll() {
      released = true;
      for (const answer of held.splice(0)) answer();
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  return upstream;
}

const QUERY = JSON.stringify({ query: '{ me { orders { id } } }' });

/** The headers a GraphQL source sends for `principal`, identity written by the auth stage's own writer. */
function headersFor(principal: Principal, requestId: string, secret?: string): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json', 'x-request-id': requestId };
  createIdentityHeaderWriter({ secret, now: () => 1_700_000_000_000 }).write(principal, headers);
  return headers;
}

function user(subject: string, extra: Partial<Principal> = {}): Principal {
  return { kind: 'jwt', subject, tenant: 't1', plan: 'pro', scopes: ['orders:read'], roles: [], ...extra };
}

describe('in-flight deduplication of upstream reads', () => {
  let upstream: GatedUpstream;
  let http: HttpClient;

  beforeEach(async () => {
    upstream = await startGatedUpstream();
    http = createHttpClient();
  });
  afterEach(async () => {
    upstream.releaseAll();
    await http.close();
    await upstream.close();
  });

  const read = (headers: Record<string, string>, signal?: AbortSignal): UpstreamRequest => ({
    method: 'POST',
    url: upstream.url,
    headers,
    body: QUERY,
    source: 'orders',
    idempotent: true,
    signal,
  });

  it('sends one exchange for two identical reads of one caller in flight at once, and answers both', async () => {
    const first = http.call(read(headersFor(user('alice'), 'req-1')));
    await upstream.arrived(1);
    const second = http.call(read(headersFor(user('alice'), 'req-2')));
    upstream.releaseAll();
    const answers = await Promise.all([first, second]);
    expect(upstream.seen).toHaveLength(1);
    expect(answers.map((answer) => JSON.parse(answer.body))).toEqual([
      { data: { subject: 'alice', tenant: 't1' } },
      { data: { subject: 'alice', tenant: 't1' } },
    ]);
  });

  it.each([
    ['another subject', user('bob')],
    ['the same subject in another tenant', user('alice', { tenant: 't2' })],
    ['the same subject with other scopes', user('alice', { scopes: ['orders:read', 'orders:admin'] })],
    ['the same subject with another plan', user('alice', { plan: 'free' })],
    ['an anonymous caller', ANONYMOUS],
  ])('never gives one user the answer fetched for another: alice vs %s', async (_name, other) => {
    const alice = http.call(read(headersFor(user('alice'), 'req-1')));
    await upstream.arrived(1);
    // Alice's read is held at the upstream, so it is in flight while this one is made; whether
    // to join it is decided synchronously inside `call`, before the release below.
    const them = http.call(read(headersFor(other, 'req-2')));
    upstream.releaseAll();
    const [aliceAnswer, theirAnswer] = await Promise.all([alice, them]);
    expect(upstream.seen).toHaveLength(2);
    expect(JSON.parse(aliceAnswer.body)).toEqual({ data: { subject: 'alice', tenant: 't1' } });
    expect(JSON.parse(theirAnswer.body)).toEqual({
      data: { subject: other.subject === '' ? null : other.subject, tenant: other.tenant ?? null },
    });
  });

  it('keeps signed identities apart too: the signature and its timestamp are part of the key', async () => {
    const secret = 'a-deployment-secret-of-at-least-32-bytes';
    const alice = http.call(read(headersFor(user('alice'), 'req-1', secret)));
    await upstream.arrived(1);
    const bob = http.call(read(headersFor(user('bob'), 'req-2', secret)));
    upstream.releaseAll();
    expect(JSON.parse((await alice).body).data.subject).toBe('alice');
    expect(JSON.parse((await bob).body).data.subject).toBe('bob');
  });

  it('never shares a write: two identical mutations are two exchanges', async () => {
    const write = (id: string): UpstreamRequest => ({ ...read(headersFor(user('alice'), id)), idempotent: false });
    const first = http.call(write('req-1'));
    await upstream.arrived(1);
    const second = http.call(write('req-2'));
    upstream.releaseAll();
    await Promise.all([first, second]);
    expect(upstream.seen).toHaveLength(2);
  });

  it('sends the leader\'s request id upstream and answers the joiner all the same', async () => {
    const first = http.call(read(headersFor(user('alice'), 'req-1')));
    await upstream.arrived(1);
    const second = http.call(read({ ...headersFor(user('alice'), 'req-2'), 'x-portico-deadline-ms': '1234' }));
    upstream.releaseAll();
    await Promise.all([first, second]);
    expect(upstream.seen.map((headers) => headers['x-request-id'])).toEqual(['req-1']);
  });

  it('lets one caller give up without cancelling the exchange the other still waits for', async () => {
    const leaving = new AbortController();
    const first = http.call(read(headersFor(user('alice'), 'req-1'), leaving.signal));
    await upstream.arrived(1);
    const second = http.call(read(headersFor(user('alice'), 'req-2')));
    leaving.abort(new DOMException('client went away', 'AbortError'));
    await expect(first).rejects.toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE' } });
    upstream.releaseAll();
    expect(JSON.parse((await second).body).data.subject).toBe('alice');
    expect(upstream.seen).toHaveLength(1);
    expect(upstream.abandoned).toBe(0);
  });

  it('cancels the exchange once every caller waiting on it has given up, and starts afresh after', async () => {
    const a = new AbortController();
    const b = new AbortController();
    const first = http.call(read(headersFor(user('alice'), 'req-1'), a.signal));
    await upstream.arrived(1);
    const second = http.call(read(headersFor(user('alice'), 'req-2'), b.signal));
    a.abort(new DOMException('gone', 'AbortError'));
    b.abort(new DOMException('gone', 'AbortError'));
    await expect(first).rejects.toBeDefined();
    await expect(second).rejects.toBeDefined();
    upstream.releaseAll();
    const third = await http.call(read(headersFor(user('alice'), 'req-3')));
    expect(JSON.parse(third.body).data.subject).toBe('alice');
    expect(upstream.seen).toHaveLength(2);
  });

  it('is not a cache: a read after the previous one settled is sent again', async () => {
    upstream.releaseAll();
    await http.call(read(headersFor(user('alice'), 'req-1')));
    await http.call(read(headersFor(user('alice'), 'req-2')));
    expect(upstream.seen).toHaveLength(2);
  });

  it('can be turned off', async () => {
    const plain = createHttpClient({ dedupeInFlight: false });
    try {
      const first = plain.call(read(headersFor(user('alice'), 'req-1')));
      await upstream.arrived(1);
      const second = plain.call(read(headersFor(user('alice'), 'req-2')));
      upstream.releaseAll();
      await Promise.all([first, second]);
      expect(upstream.seen).toHaveLength(2);
    } finally {
      await plain.close();
    }
  });
});

/** What a flight is found by (createInFlight): the body, then the head key. */
function flightKey(headers: Readonly<Record<string, string>>, body: string): [string, string] {
  return [body, inFlightHeadKey('POST', 'http://a/graphql', headers)];
}

describe('the in-flight key', () => {
  it('ignores header order and case, and the per-attempt headers', () => {
    expect(flightKey({ A: '1', b: '2', 'x-request-id': 'r1', traceparent: 't1' }, 'q')).toEqual(
      flightKey({ b: '2', a: '1', 'X-Request-Id': 'r2', 'x-portico-deadline-ms': '99' }, 'q'),
    );
  });

  it.each([
    ['a header value', [{ a: '1' }, 'q'], [{ a: '2' }, 'q']],
    ['an extra header', [{ a: '1' }, 'q'], [{ a: '1', b: '' }, 'q']],
    ['the body', [{}, 'q1'], [{}, 'q2']],
    // Without length prefixes these two would print the same characters.
    ['where one header ends and the next begins', [{ a: '1b', c: '2' }, 'q'], [{ a: '1', bc: '2' }, 'q']],
    ['where the headers end and the body begins', [{ a: '1' }, '2q'], [{ a: '12' }, 'q']],
  ] as const)('tells requests apart that differ only in %s', (_what, [headersA, bodyA], [headersB, bodyB]) => {
    expect(flightKey(headersA, bodyA)).not.toEqual(flightKey(headersB, bodyB));
  });
});

describe('comparing two calls\' heads in place (sameHead)', () => {
  const same = (a: Record<string, string>, b: Record<string, string>) => sameHead('POST', 'http://a/graphql', a, 'POST', 'http://a/graphql', b);

  it('says equal for the same headers in any order, per-attempt headers aside', () => {
    expect(same({ a: '1', b: '2', 'x-request-id': 'r1', traceparent: 't1' }, { b: '2', a: '1', 'x-request-id': 'r2', 'x-portico-deadline-ms': '99' })).toBe(true);
  });

  it.each([
    ['a header value', { a: '1' }, { a: '2' }],
    ['an extra header', { a: '1' }, { a: '1', b: '' }],
    ['a missing header', { a: '1', b: '' }, { a: '1' }],
    // Equal keys, but not said equal: that caller goes its own way, which is only a missed share.
    ['the case of a name', { A: '1' }, { a: '1' }],
  ] as const)('says unequal for %s', (_what, a, b) => {
    expect(same(a, b)).toBe(false);
  });

  it('says unequal for another method or URL', () => {
    expect(sameHead('GET', 'http://a/x', {}, 'POST', 'http://a/x', {})).toBe(false);
    expect(sameHead('GET', 'http://a/x', {}, 'GET', 'http://a/y', {})).toBe(false);
  });

  it('never says equal where the keys differ (2,000 random pairs, fixed seed)', () => {
    const random = mulberry32(17);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
    const names = ['a', 'B', 'b', 'x-user', 'x-request-id', 'traceparent', 'ab'];
    const values = ['', '1', '2', '12'];
    const headers = () => Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, () => [pick(names), pick(values)]));
    let equal = 0;
    for (let i = 0; i < 2_000; i++) {
      const a = headers();
      const b = random() < 0.5 ? { ...a } : headers();
      if (!same(a, b)) continue;
      equal++;
      expect(inFlightHeadKey('POST', 'http://a/graphql', a)).toBe(inFlightHeadKey('POST', 'http://a/graphql', b));
    }
    expect(equal).toBeGreaterThan(900);
  });
});
