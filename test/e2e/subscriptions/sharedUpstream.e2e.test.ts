import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { SignJWT } from 'jose';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { startPortico, type Portico } from '../../../src/runtime/startPortico.js';
import { TICK_SDL, TICK_SUBSCRIPTION } from '../../../bench/subscriptions/tickSchema.js';
import { repoRoot } from '../../support/portico.js';
import { sseSubscribe, type SseSubscription } from '../../support/sseSubscription.js';

// Issue 19: client subscriptions whose upstream request is identical share one upstream stream.
// The upstream is a real process (bench/subscriptions/upstream.ts) that counts its open
// subscriptions, its WebSockets, and the x-portico-subject each subscription was made with.

const SECRET = 'shared-upstream-test-secret-0123456789abcdef';
const ISSUER = 'shared-upstream-test';
const IDENTITY_SECRET = 'shared-upstream-identity-secret-0123456789';

let upstream: ChildProcess;
let upstreamBase: string;
let portico: Portico;
const bffUrl: Record<'sse' | 'ws' | 'unshared', string> = { sse: '', ws: '', unshared: '' };

interface UpstreamStats {
  open: number;
  webSockets: number;
  subjects: string[];
}

const stats = async (): Promise<UpstreamStats> => (await fetch(`${upstreamBase}/subscribers`)).json() as Promise<UpstreamStats>;

/** Resolves once the upstream's figures pass `predicate`; each probe is a real round trip, so the loop paces itself. */
async function upstreamUntil(predicate: (s: UpstreamStats) => boolean, label: string): Promise<UpstreamStats> {
  let last: UpstreamStats | undefined;
  for (let probes = 0; probes < 20_000; probes += 1) {
    last = await stats();
    if (predicate(last)) return last;
  }
  throw new Error(`upstream never reached: ${label} (last: ${JSON.stringify(last)})`);
}

async function publish(seq: number): Promise<void> {
  const response = await fetch(`${upstreamBase}/publish?seq=${seq}`, { method: 'POST' });
  expect(response.status).toBe(200);
  await response.arrayBuffer();
}

/** An HS256 token for `sub` with its own jti (two tokens of one subject are two callers with one identity). */
async function token(sub: string, ttlSeconds = 1800): Promise<string> {
  return new SignJWT({ scope: 'ticks:read' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience('app')
    .setSubject(sub)
    .setJti(randomUUID())
    .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
    .sign(new TextEncoder().encode(SECRET));
}

/** Subscribes over SSE and resolves once the gateway answered: by then it has joined (or opened) its upstream stream. */
async function subscribe(bff: keyof typeof bffUrl, bearer?: string): Promise<SseSubscription> {
  const subscription = sseSubscribe({ url: bffUrl[bff], query: TICK_SUBSCRIPTION, ...(bearer ? { token: bearer } : {}) });
  expect((await subscription.response).statusCode).toBe(200);
  return subscription;
}

const seqs = (subscription: SseSubscription) => subscription.results().map((result) => (result.data?.['tick'] as { seq: number } | undefined)?.seq ?? result.errors?.[0]?.extensions?.['code']);

async function closeAll(...subscriptions: SseSubscription[]): Promise<void> {
  for (const subscription of subscriptions) subscription.close();
  await upstreamUntil((s) => s.open === 0 && s.webSockets === 0, 'every upstream subscription closed');
}

beforeAll(async () => {
  upstream = spawn(process.execPath, ['--import', 'tsx', 'bench/subscriptions/upstream.ts'], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] });
  const ready = await new Promise<string>((resolve, reject) => {
    createInterface({ input: upstream.stdout! }).on('line', (line) => {
      if (line.startsWith('READY ')) resolve(line.slice('READY '.length).trim());
    });
    upstream.once('exit', (code) => reject(new Error(`upstream exited with ${code}`)));
  });
  upstreamBase = new URL(ready).origin;

  const dir = await mkdtemp(path.join(tmpdir(), 'portico-shared-upstream-'));
  await writeFile(path.join(dir, 'ticks.graphql'), TICK_SDL);
  const source = (subscriptions: Record<string, unknown>) => ({ kind: 'federation', subgraphs: [{ name: 'ticks', url: ready, schema: './ticks.graphql', subscriptions }] });
  await writeFile(
    path.join(dir, 'sources.ts'),
    `export default ${JSON.stringify({ 'ticks-sse': source({ protocol: 'sse' }), 'ticks-ws': source({ protocol: 'ws' }), 'ticks-unshared': source({ protocol: 'sse', share: false }) })};\n`,
  );
  const bffs = { sse: 'ticks-sse', ws: 'ticks-ws', unshared: 'ticks-unshared' } as const;
  for (const [name, sourceName] of Object.entries(bffs)) {
    await mkdir(path.join(dir, 'bffs', name), { recursive: true });
    await writeFile(
      path.join(dir, 'bffs', name, 'bff.config.ts'),
      `export default ${JSON.stringify({
        name,
        port: 0,
        host: '127.0.0.1',
        sources: [sourceName],
        auth: {
          jwt: { keys: [{ alg: 'HS256', secret: SECRET }], algorithms: ['HS256'], issuer: ISSUER, audience: 'app' },
          // Signed identity headers: their timestamp changes every second, their values never.
          identityHeaders: { secret: IDENTITY_SECRET },
        },
        authz: { defaultPolicy: 'public' },
      })};\n`,
    );
  }
  const rootFile = path.join(dir, 'portico.config.ts');
  await writeFile(rootFile, `export default ${JSON.stringify({ sources: './sources.ts', bffs: Object.keys(bffs).map((name) => `./bffs/${name}`) })};\n`);
  portico = await startPortico(await loadConfig(rootFile, {}), { logger: pino({ level: 'silent' }) });
  for (const bff of portico.bffs) bffUrl[bff.name as keyof typeof bffUrl] = bff.url;
}, 120_000);

afterAll(async () => {
  await portico?.close(0);
  upstream?.kill('SIGTERM');
});

describe('identical subscriptions share one upstream stream (upstream over SSE)', () => {
  it('two callers with one identity (two tokens of one subject) share one upstream subscription, and both get each event', async () => {
    const first = await subscribe('sse', await token('u1'));
    await upstreamUntil((s) => s.open === 1, 'the first subscription open upstream');
    const second = await subscribe('sse', await token('u1'));
    await publish(1);
    await first.until((s) => s.results().length === 1, 'event 1 (first)');
    await second.until((s) => s.results().length === 1, 'event 1 (second)');
    expect([seqs(first), seqs(second)]).toEqual([[1], [1]]);
    expect(await stats()).toMatchObject({ open: 1, subjects: ['u1'] });
    await closeAll(first, second);
  });

  it('never shares between two subjects: each gets its own upstream subscription, made with its own identity', async () => {
    const mine = await subscribe('sse', await token('u1'));
    const theirs = await subscribe('sse', await token('u2'));
    const seen = await upstreamUntil((s) => s.open === 2, 'one upstream subscription per subject');
    expect(seen.subjects.sort()).toEqual(['u1', 'u2']);
    // Anonymous callers have one identity: they share.
    const anonymous = [await subscribe('sse'), await subscribe('sse')];
    const withAnonymous = await upstreamUntil((s) => s.open === 3, 'one more for the anonymous callers');
    expect(withAnonymous.subjects.sort()).toEqual(['anonymous', 'u1', 'u2']);
    await closeAll(mine, theirs, ...anonymous);
  });

  it('gives a late joiner the later events only, keeps the stream while one sharer stays, and closes it when the last leaves', async () => {
    const bearer = await token('u3');
    const early = await subscribe('sse', bearer);
    await upstreamUntil((s) => s.open === 1, 'the first subscription open upstream');
    await publish(1);
    await early.until((s) => s.results().length === 1, 'event 1');
    const late = await subscribe('sse', await token('u3'));
    await publish(2);
    await late.until((s) => s.results().length === 1, 'event 2 (late)');
    await early.until((s) => s.results().length === 2, 'event 2 (early)');
    expect(seqs(early)).toEqual([1, 2]);
    expect(seqs(late)).toEqual([2]);

    early.close();
    await early.ended;
    await publish(3);
    await late.until((s) => s.results().length === 2, 'event 3 after the first left');
    expect(seqs(late)).toEqual([2, 3]);
    expect((await stats()).open).toBe(1);
    await closeAll(late);
  });

  it('ends every sharer when the upstream completes the stream', async () => {
    const sharers = [await subscribe('sse'), await subscribe('sse'), await subscribe('sse')];
    await upstreamUntil((s) => s.open === 1, 'one shared upstream subscription');
    await fetch(`${upstreamBase}/complete`, { method: 'POST' });
    for (const sharer of sharers) expect(await sharer.ended).toEqual({ completed: true });
    await upstreamUntil((s) => s.open === 0, 'upstream closed');
    // The next subscriber opens a new stream.
    const next = await subscribe('sse');
    await upstreamUntil((s) => s.open === 1, 'a new upstream subscription');
    await publish(4);
    await next.until((s) => s.results().length === 1, 'event 4');
    await closeAll(next);
  });

  it("ends a sharer at its own token's expiry (TOKEN_EXPIRED) while the other sharer keeps the stream", async () => {
    // JWT times are whole seconds: this is the one wall-clock wait.
    const expiring = await subscribe('sse', await token('u4', 2));
    const staying = await subscribe('sse', await token('u4'));
    await upstreamUntil((s) => s.open === 1, 'one shared upstream subscription');
    await expiring.ended;
    expect(seqs(expiring).at(-1)).toBe('TOKEN_EXPIRED');
    await publish(5);
    await staying.until((s) => s.results().length === 1, 'event 5 after the other sharer expired');
    expect(seqs(staying)).toEqual([5]);
    expect((await stats()).open).toBe(1);
    await closeAll(staying);
  });

  it('opens one upstream subscription per client subscription with subscriptions.share: false', async () => {
    const clients = [await subscribe('unshared'), await subscribe('unshared')];
    await upstreamUntil((s) => s.open === 2, 'two upstream subscriptions');
    await closeAll(...clients);
  });
});

describe('identical subscriptions share one upstream stream (upstream over WebSocket)', () => {
  it('holds one WebSocket for identical subscriptions, and one per identity otherwise', async () => {
    const anonymous = [await subscribe('ws'), await subscribe('ws'), await subscribe('ws')];
    await upstreamUntil((s) => s.open === 1 && s.webSockets === 1, 'one socket, one subscription');
    await publish(6);
    for (const client of anonymous) await client.until((s) => s.results().length === 1, 'event 6');
    const subjects = [await subscribe('ws', await token('u1')), await subscribe('ws', await token('u2')), await subscribe('ws', await token('u1'))];
    const seen = await upstreamUntil((s) => s.open === 3, 'one more per subject');
    expect(seen.webSockets).toBe(3);
    expect(seen.subjects.sort()).toEqual(['anonymous', 'u1', 'u2']);
    await closeAll(...anonymous, ...subjects);
  });
});
