import { createHmac, createPublicKey, randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { DEMO_ISSUER, type TokenRequest, type TokenResponse } from '../../subgraphs/idp/server.js';
import { startSubgraph, type StartSubgraphOptions, type SubgraphHandle } from './subgraphs.js';

export { DEMO_ISSUER };

const JWKS_ROUTE = 'GET /.well-known/jwks.json';

/** The demo IdP (subgraphs/idp) as a real process, with helpers to issue and count. */
export interface Idp extends AsyncDisposable {
  /** The process: stats, request log, fault knobs (`down` takes the JWKS offline), reset. */
  process: SubgraphHandle;
  /** Base URL, as IDP_URL. */
  url: string;
  jwksUrl: string;
  /** A token signed by the IdP's current key; `claims`/`header` may make it one the gateway must refuse. */
  issue(request?: Partial<TokenRequest>): Promise<string>;
  issueFull(request?: Partial<TokenRequest>): Promise<TokenResponse>;
  /** The keys the IdP publishes now. */
  jwks(): Promise<JWK[]>;
  rotate(options?: { keepPrevious?: boolean }): Promise<string[]>;
  /** How often the JWKS was requested since the last reset (faulted requests included). */
  jwksFetches(): Promise<number>;
  stop(): Promise<void>;
}

export async function startIdp(options: StartSubgraphOptions = {}): Promise<Idp> {
  const process = await startSubgraph('idp', {}, options);
  const url = process.baseUrl;
  const post = async <T>(path: string, body: unknown): Promise<T> => {
    const response = await fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const text = await response.text();
    if (!response.ok) throw new Error(`idp POST ${path}: ${response.status} ${text}`);
    return JSON.parse(text) as T;
  };
  const issueFull = (request: Partial<TokenRequest> = {}) => post<TokenResponse>('/token', { sub: 'u1', ...request });
  return {
    process,
    url,
    jwksUrl: `${url}/.well-known/jwks.json`,
    issueFull,
    issue: async (request) => (await issueFull(request)).access_token,
    async jwks() {
      const response = await fetch(`${url}/.well-known/jwks.json`);
      return ((await response.json()) as { keys: JWK[] }).keys;
    },
    rotate: async (options = {}) => (await post<{ kids: string[] }>('/keys/rotate', options)).kids,
    jwksFetches: async () => (await process.stats()).byRoute[JWKS_ROUTE] ?? 0,
    stop: () => process.stop(),
    [Symbol.asyncDispose]: () => process.stop(),
  };
}

// ── forgeries: tokens an attacker can make without the IdP's private keys ─────────────────────

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Claims that would pass every check but the signature: right issuer, audience, times. */
export function plausibleClaims(audience: string, overrides: JWTPayload = {}): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  return { iss: DEMO_ISSUER, aud: audience, sub: 'u1', iat: now, nbf: now, exp: now + 600, jti: randomUUID(), ...overrides };
}

/** `alg: none`, empty signature. */
export function unsignedToken(claims: JWTPayload, header: Record<string, unknown> = {}): string {
  return `${b64({ alg: 'none', typ: 'JWT', ...header })}.${b64(claims)}.`;
}

/**
 * The RS/HS confusion attack: HS256 with the IdP's RSA *public* key (as PEM text, what a naive
 * verifier passes as the HMAC secret) and that key's `kid`.
 */
export function hs256WithPublicKey(publicJwk: JWK, claims: JWTPayload): string {
  const pem = createPublicKey({ key: publicJwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString();
  const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: publicJwk.kid })}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', pem).update(input).digest('base64url')}`;
}

/** A key pair the gateway has never seen, and a signer for it. */
export async function attackerKey(alg: 'RS256' | 'ES256' = 'RS256', kid = `attacker-${randomUUID()}`) {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return {
    kid,
    publicJwk,
    sign: (claims: JWTPayload, header: Record<string, unknown> = {}) =>
      new SignJWT(claims).setProtectedHeader({ typ: 'JWT', kid, ...header, alg }).sign(privateKey),
  };
}

/** The token with its payload changed and the original header and signature kept. */
export function tamperPayload(token: string, patch: JWTPayload): string {
  const [header, payload, signature] = token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as JWTPayload;
  return `${header}.${b64({ ...claims, ...patch })}.${signature}`;
}
