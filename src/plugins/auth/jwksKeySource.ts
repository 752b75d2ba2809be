import { importJWK, type CryptoKey, type JWK, type JWSHeaderParameters } from 'jose';
import { AuthFailure, AuthUnavailable } from './authFailure.js';
import { jwkFitsAlgorithm, pickKey } from './keyMatching.js';

/** Finds the verification key for a token's protected header (jose's `getKey` shape). */
export interface KeySource {
  getKey(header: JWSHeaderParameters): Promise<CryptoKey | Uint8Array>;
}

export interface JwksKeySourceOptions {
  url: string;
  /** Keys older than this are refetched in the background; requests never wait for it. */
  refreshIntervalMs: number;
  /** Minimum time between two fetches, whatever the tokens say; bounds an unknown-`kid` flood. */
  cooldownMs: number;
  timeoutMs: number;
  /** A larger document is refused. @default 262_144: real JWKS are a few KiB. */
  maxBytes?: number;
  /** Keys read from one document. @default 100: rotation keeps two or three per algorithm. */
  maxKeys?: number;
  /** Epoch milliseconds; injected by tests. @default Date.now */
  now?: () => number;
  /** @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
  /** A failed fetch; the last good keys stay in use. */
  onFetchError?: (error: unknown) => void;
}

export interface JwksKeySource extends KeySource {
  /** Fetch attempts and failures since start, for tests and metrics. */
  readonly stats: { readonly fetches: number; readonly failures: number };
}

/**
 * Keys from a JWKS URL, kept in memory. The design choices, each against a known failure:
 * - Stale keys are refreshed in the background, and a failed refresh keeps the last good keys, so
 *   the IdP being down does not take authentication down with it.
 * - An unknown `kid` (a rotation) triggers a refetch, but never more than one per `cooldownMs`,
 *   and concurrent requests share the one fetch in flight: a flood of tokens with made-up `kid`s
 *   cannot turn into a flood of requests to the IdP.
 * - `jku`, `x5u`, `jwk` and `x5c` headers are never read: a token cannot name its own key.
 * - When a key cannot be found and the last fetch failed, the answer is "unavailable" (503), not
 *   "unknown key" (401): the key may well exist, and a client told 401 would discard a good token.
 */
export function createJwksKeySource(options: JwksKeySourceOptions): JwksKeySource {
  const now = options.now ?? Date.now;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const maxBytes = options.maxBytes ?? 262_144;
  const maxKeys = options.maxKeys ?? 100;
  const stats = { fetches: 0, failures: 0 };

  let keys: JWK[] | undefined;
  const imported = new WeakMap<JWK, Map<string, Promise<CryptoKey | Uint8Array>>>();
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let lastSuccessAt = Number.NEGATIVE_INFINITY;
  let lastFetchFailed = false;
  let inFlight: Promise<void> | undefined;

  const ignore = () => {};

  function refresh(): Promise<void> {
    if (inFlight) return inFlight;
    lastAttemptAt = now();
    stats.fetches += 1;
    inFlight = fetchKeys(options.url, fetchImpl, options.timeoutMs, maxBytes, maxKeys)
      .then(
        (fetched) => {
          keys = fetched;
          lastSuccessAt = now();
          lastFetchFailed = false;
        },
        (error: unknown) => {
          stats.failures += 1;
          lastFetchFailed = true;
          options.onFetchError?.(error);
          throw error;
        },
      )
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  }

  const mayFetch = () => now() - lastAttemptAt >= options.cooldownMs;

  /** Waits for the fetch in flight, or starts one if the cooldown allows; never throws. */
  async function refetch(): Promise<void> {
    if (inFlight) await inFlight.catch(ignore);
    else if (mayFetch()) await refresh().catch(ignore);
  }

  function find(header: JWSHeaderParameters, alg: string): JWK | undefined {
    if (!keys) return undefined;
    return pickKey(keys, (jwk) => jwk.kid, (jwk) => jwkFitsAlgorithm(jwk, alg), header.kid);
  }

  function importFor(jwk: JWK, alg: string): Promise<CryptoKey | Uint8Array> {
    let byAlg = imported.get(jwk);
    if (!byAlg) imported.set(jwk, (byAlg = new Map()));
    let key = byAlg.get(alg);
    if (!key) {
      // A published key that does not import (bad modulus, wrong curve) verifies nothing.
      key = importJWK(jwk, alg).catch(() => {
        throw new AuthFailure('unknown_key', 'bearer');
      });
      byAlg.set(alg, key);
    }
    return key;
  }

  return {
    stats,
    async getKey(header) {
      const alg = header.alg ?? '';
      if (!keys) {
        await refetch();
        if (!keys) throw new AuthUnavailable('keys');
      } else if (now() - lastSuccessAt >= options.refreshIntervalMs && !inFlight && mayFetch()) {
        // Stale: refresh for the next requests; this one uses what is known.
        refresh().catch(ignore);
      }
      let jwk = find(header, alg);
      if (!jwk) {
        await refetch();
        jwk = find(header, alg);
        if (!jwk) throw lastFetchFailed ? new AuthUnavailable('keys') : new AuthFailure('unknown_key', 'bearer');
      }
      return importFor(jwk, alg);
    },
  };
}

async function fetchKeys(url: string, fetchImpl: typeof fetch, timeoutMs: number, maxBytes: number, maxKeys: number): Promise<JWK[]> {
  const response = await fetchImpl(url, {
    headers: { accept: 'application/jwk-set+json, application/json' },
    // The configured URL is the trust anchor; a redirect would hand that trust to another origin.
    redirect: 'error',
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`JWKS answered HTTP ${response.status}`);
  }
  const parsed: unknown = JSON.parse(await readCapped(response, maxBytes));
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { keys?: unknown }).keys)) {
    throw new Error('JWKS is not a JSON Web Key Set');
  }
  return ((parsed as { keys: unknown[] }).keys)
    .filter((key): key is JWK => typeof key === 'object' && key !== null && typeof (key as JWK).kty === 'string')
    .slice(0, maxKeys)
    .map((key) => Object.freeze({ ...key }));
}

async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw new Error(`JWKS larger than ${maxBytes} bytes`);
  }
  if (!response.body) return '';
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new Error(`JWKS larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
