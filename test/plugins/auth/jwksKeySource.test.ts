import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { AuthFailure, AuthUnavailable } from '../../../src/plugins/auth/authFailure.js';
import { createJwksKeySource, type JwksKeySource } from '../../../src/plugins/auth/jwksKeySource.js';
import { startIdp, type Idp } from '../../support/tokens.js';

// The key source against the real demo IdP; time is a variable the test moves.
const REFRESH_MS = 300_000;
const COOLDOWN_MS = 10_000;

let idp: Idp;
let clock: number;
let source: JwksKeySource;

beforeAll(async () => {
  idp = await startIdp();
});
afterAll(() => idp?.stop());
beforeEach(async () => {
  await idp.process.reset();
  clock = 1_000_000;
  source = createJwksKeySource({ url: idp.jwksUrl, refreshIntervalMs: REFRESH_MS, cooldownMs: COOLDOWN_MS, timeoutMs: 3_000, now: () => clock });
});

const known = { alg: 'RS256', kid: 'rs256-1' };
const reasonOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof AuthFailure ? error.reason : error instanceof AuthUnavailable ? `unavailable:${error.what}` : String(error)),
  );

describe('JWKS key source', () => {
  it('fetches the JWKS once for many concurrent first requests', async () => {
    const keys = await Promise.all(Array.from({ length: 20 }, () => source.getKey(known)));
    expect(keys.every((key) => key === keys[0])).toBe(true);
    expect(await idp.jwksFetches()).toBe(1);
  });

  it('refetches at most once per cooldown for a flood of unknown kids', async () => {
    await source.getKey(known);
    const flood = (n: number) => Promise.all(Array.from({ length: n }, (_, i) => reasonOf(source.getKey({ alg: 'RS256', kid: `made-up-${i}` }))));

    expect(new Set(await flood(100))).toEqual(new Set(['unknown_key']));
    expect(await idp.jwksFetches()).toBe(1); // within the cooldown of the first fetch: none

    clock += COOLDOWN_MS;
    expect(new Set(await flood(100))).toEqual(new Set(['unknown_key']));
    expect(await idp.jwksFetches()).toBe(2); // one shared refetch for all 100

    clock += COOLDOWN_MS - 1;
    await flood(100);
    expect(await idp.jwksFetches()).toBe(2);
    expect(source.stats).toEqual({ fetches: 2, failures: 0 });
  });

  it('picks up a rotated key the first time a token names it', async () => {
    await source.getKey(known);
    await idp.rotate();
    clock += COOLDOWN_MS;
    await expect(source.getKey({ alg: 'ES256', kid: 'es256-2' })).resolves.toBeDefined();
    expect(await idp.jwksFetches()).toBe(2);
  });

  it('keeps serving known keys while the JWKS endpoint is down, and says "unavailable" for unknown ones', async () => {
    await source.getKey(known);
    await idp.process.setFaults({ down: true });
    clock += REFRESH_MS; // stale: the next use starts a background refresh, which fails

    await expect(source.getKey(known)).resolves.toBeDefined();
    await vi.waitFor(() => expect(source.stats.failures).toBe(1));
    await expect(source.getKey({ alg: 'ES256', kid: 'es256-1' })).resolves.toBeDefined();

    // The key set could not be refreshed, so an unknown kid might exist: 503, not 401.
    expect(await reasonOf(source.getKey({ alg: 'RS256', kid: 'rs256-9' }))).toBe('unavailable:keys');
    expect(await idp.jwksFetches()).toBe(2); // the cooldown holds while the IdP is down, too

    await idp.process.setFaults({ down: false });
    clock += COOLDOWN_MS;
    expect(await reasonOf(source.getKey({ alg: 'RS256', kid: 'rs256-9' }))).toBe('unknown_key');
  });

  it('answers "unavailable" when the JWKS was never reachable, without retrying inside the cooldown', async () => {
    await idp.process.setFaults({ down: true });
    expect(await reasonOf(source.getKey(known))).toBe('unavailable:keys');
    expect(await reasonOf(source.getKey(known))).toBe('unavailable:keys');
    expect(await idp.jwksFetches()).toBe(1);
    await idp.process.setFaults({ down: false });
    clock += COOLDOWN_MS;
    await expect(source.getKey(known)).resolves.toBeDefined();
  });

  it('stops trusting a key the IdP removed once the refresh interval has passed', async () => {
    await source.getKey(known);
    await idp.rotate({ keepPrevious: false });
    clock += REFRESH_MS;
    await expect(source.getKey(known)).resolves.toBeDefined(); // served stale while refreshing
    await vi.waitFor(async () => expect(await reasonOf(source.getKey(known))).toBe('unknown_key'));
    expect(await idp.jwksFetches()).toBe(2);
  });

  it('never uses a published key for another algorithm family', async () => {
    await source.getKey(known);
    // rs256-1 is an RSA key bound to RS256: not for PS256, ES256 or HS256.
    for (const alg of ['PS256', 'ES256', 'HS256']) {
      expect(await reasonOf(source.getKey({ alg, kid: 'rs256-1' }))).toBe('unknown_key');
    }
  });
});
