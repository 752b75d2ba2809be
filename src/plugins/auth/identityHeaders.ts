import { createHmac, createPrivateKey, createPublicKey, createSecretKey, sign, timingSafeEqual, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import type { Principal } from '../../context/principal.js';
import { readClaim } from './claims.js';

/**
 * The headers that tell a subgraph who the caller is (docs/identity.md). The gateway never
 * forwards a client's headers, so these are the only identity headers a subgraph receives, and
 * with a secret configured it can check they came from the gateway.
 */
export const IDENTITY_HEADERS = {
  /** `jwt`, `apiKey` or `anonymous`. */
  auth: 'x-portico-auth',
  subject: 'x-portico-subject',
  tenant: 'x-portico-tenant',
  plan: 'x-portico-plan',
  /** Space-separated. */
  scopes: 'x-portico-scopes',
  /** Space-separated. */
  roles: 'x-portico-roles',
  /** Epoch seconds when the gateway signed the headers. */
  timestamp: 'x-portico-identity-ts',
  /**
   * `v1=<base64url HMAC-SHA256>` over the canonical string (see `canonicalIdentity`); `v2=` when
   * the call carries `x-portico-claims`, whose value the v2 string covers too.
   */
  signature: 'x-portico-identity-signature',
  /**
   * Only to sources with a `claims` allow-list: base64url of the JSON object of the listed claims
   * the token has (`{}` when none, or for API keys and anonymous callers).
   */
  claims: 'x-portico-claims',
  /**
   * With `identityHeaders.signingKey`: `v1=<keyId>:<base64url Ed25519 signature>` (or `v2=`) over
   * the same canonical string, verifiable with the published public key alone.
   */
  keySignature: 'x-portico-identity-key-signature',
} as const;

/** Where each BFF publishes the public half of `identityHeaders.signingKey` (a JWKS). */
export const IDENTITY_JWKS_PATH = '/.well-known/portico-identity-jwks.json';

const SIGNED = ['auth', 'subject', 'tenant', 'plan', 'scopes', 'roles'] as const;
type Signed = (typeof SIGNED)[number];

// Printable ASCII without '%', no leading, trailing or doubled spaces: survives every HTTP hop
// unchanged. Anything else is percent-encoded, so a value never breaks a header or its signature.
const PLAIN = /^[!-$&-~]+(?: [!-$&-~]+)*$/;

/** A claim as a header value: unchanged when plain, else percent-encoded (decodeURIComponent undoes it). */
export function encodeHeaderValue(value: string): string {
  return PLAIN.test(value) ? value : encodeURIComponent(value);
}

/** `v1`, then the timestamp and each signed header's value (empty when absent), newline-separated. */
export function canonicalIdentity(timestamp: string, values: Readonly<Partial<Record<Signed, string>>>): string {
  let text = `v1\n${timestamp}`;
  for (const name of SIGNED) text += `\n${values[name] ?? ''}`;
  return text;
}

interface PreparedIdentity {
  /** [header, value] pairs, computed once per principal. */
  headers: readonly (readonly [string, string])[];
  /** The canonical string minus its timestamp, so a request only adds the time and the MAC. */
  tail: string;
  /** The last second signed and its signature headers: requests within the same second reuse them. */
  signedAt: string;
  signatures: readonly (readonly [string, string])[];
}

/** `v2`: the v1 lines, then the `x-portico-claims` value. */
export function canonicalIdentityWithClaims(timestamp: string, values: Readonly<Partial<Record<Signed, string>>>, claims: string): string {
  return `v2${canonicalIdentity(timestamp, values).slice(2)}\n${claims}`;
}

/** The `x-portico-claims` value: the listed claims the payload has, as base64url JSON, in list order. */
export function encodeClaims(claims: Readonly<Record<string, unknown>> | undefined, paths: readonly string[]): string {
  const picked: Record<string, unknown> = {};
  if (claims !== undefined) {
    for (const path of paths) {
      const value = readClaim(claims, path);
      if (value !== undefined) picked[path] = value;
    }
  }
  return Buffer.from(JSON.stringify(picked), 'utf8').toString('base64url');
}

export interface IdentityHeaderWriter {
  /** Sets the principal's identity headers (and their signature) on an upstream header record. */
  write(principal: Principal, target: Record<string, string>): void;
  /**
   * The headers a call to a source with a claims allow-list adds over `write`'s: the claims and
   * the v2 signature covering them (replacing the v1 one). `list` names the allow-list: callers
   * pass the same array object per source, and the result is computed once per principal, list
   * and second.
   */
  claims(principal: Principal, list: readonly string[]): Readonly<Record<string, string>>;
}

interface PreparedClaims {
  value: string;
  signedAt: string;
  headers: Record<string, string>;
}

/**
 * Writes identity headers, signed when a secret is given. The header values are prepared once per
 * principal object (the verified-token cache shares one principal between all requests with the
 * same token), and the signature depends only on them and the second, so it is computed once per
 * principal per second: a busy caller's requests cost a string comparison, not an HMAC.
 */
export function createIdentityHeaderWriter(options: {
  secret?: string | undefined;
  /** An Ed25519 key signing beside (or instead of) the HMAC (docs/identity.md). */
  signingKey?: { keyId: string; privateKey: string } | undefined;
  now?: () => number;
}): IdentityHeaderWriter {
  const now = options.now ?? Date.now;
  const key: KeyObject | undefined = options.secret === undefined ? undefined : createSecretKey(Buffer.from(options.secret, 'utf8'));
  const signingKey = options.signingKey === undefined ? undefined : { id: options.signingKey.keyId, key: createPrivateKey(options.signingKey.privateKey) };
  const signs = key !== undefined || signingKey !== undefined;
  /** The signature headers over one canonical string, HMAC and/or Ed25519. */
  const signaturesOf = (version: 'v1' | 'v2', canonical: string): [string, string][] => {
    const out: [string, string][] = [];
    if (key !== undefined) out.push([IDENTITY_HEADERS.signature, `${version}=${createHmac('sha256', key).update(canonical).digest('base64url')}`]);
    if (signingKey !== undefined) {
      out.push([IDENTITY_HEADERS.keySignature, `${version}=${signingKey.id}:${sign(null, Buffer.from(canonical, 'utf8'), signingKey.key).toString('base64url')}`]);
    }
    return out;
  };
  const prepared = new WeakMap<Principal, PreparedIdentity>();
  const preparedClaims = new WeakMap<Principal, Map<readonly string[], PreparedClaims>>();
  const identityOf = (principal: Principal): PreparedIdentity => {
    let identity = prepared.get(principal);
    if (identity === undefined) {
      identity = prepare(principal);
      prepared.set(principal, identity);
    }
    return identity;
  };

  function prepare(principal: Principal): PreparedIdentity {
    const values: Partial<Record<Signed, string>> = { auth: principal.kind };
    if (principal.subject !== '') values.subject = encodeHeaderValue(principal.subject);
    if (principal.tenant !== undefined) values.tenant = encodeHeaderValue(principal.tenant);
    if (principal.plan !== undefined) values.plan = encodeHeaderValue(principal.plan);
    if (principal.scopes.length > 0) values.scopes = encodeHeaderValue(principal.scopes.join(' '));
    if (principal.roles.length > 0) values.roles = encodeHeaderValue(principal.roles.join(' '));
    const headers = SIGNED.flatMap((name) => (values[name] === undefined ? [] : [[IDENTITY_HEADERS[name], values[name]] as const]));
    return { headers, tail: canonicalIdentity('', values).slice('v1\n'.length), signedAt: '', signatures: [] };
  }

  return {
    claims(principal, list) {
      let byList = preparedClaims.get(principal);
      if (byList === undefined) preparedClaims.set(principal, (byList = new Map()));
      let entry = byList.get(list);
      if (entry === undefined) {
        const value = encodeClaims(principal.claims, list);
        entry = { value, signedAt: '', headers: { [IDENTITY_HEADERS.claims]: value } };
        byList.set(list, entry);
      }
      if (!signs) return entry.headers;
      const timestamp = String(Math.floor(now() / 1000));
      if (timestamp !== entry.signedAt) {
        const identity = identityOf(principal);
        const signatures = signaturesOf('v2', `v2\n${timestamp}${identity.tail}\n${entry.value}`);
        // A new object per second: a call already holding the previous one keeps a consistent set.
        entry.headers = { [IDENTITY_HEADERS.claims]: entry.value, [IDENTITY_HEADERS.timestamp]: timestamp, ...Object.fromEntries(signatures) };
        entry.signedAt = timestamp;
      }
      return entry.headers;
    },
    write(principal, target) {
      const identity = identityOf(principal);
      for (const [name, value] of identity.headers) target[name] = value;
      if (!signs) return;
      const timestamp = String(Math.floor(now() / 1000));
      if (timestamp !== identity.signedAt) {
        identity.signatures = signaturesOf('v1', `v1\n${timestamp}${identity.tail}`);
        identity.signedAt = timestamp;
      }
      target[IDENTITY_HEADERS.timestamp] = timestamp;
      for (const [name, value] of identity.signatures) target[name] = value;
    },
  };
}

export interface VerifiedIdentity {
  auth: string;
  /** The claims of a `v2` signature (`x-portico-claims`, decoded); absent for `v1`. */
  claims?: Record<string, unknown>;
  subject?: string;
  tenant?: string;
  plan?: string;
  scopes: string[];
  roles: string[];
  /** Epoch seconds of signing. */
  signedAt: number;
}

export type IdentityCheck = { ok: true; identity: VerifiedIdentity } | { ok: false; reason: 'missing' | 'bad_signature' | 'stale' };

/** The JWKS a BFF publishes at IDENTITY_JWKS_PATH: the public half of `identityHeaders.signingKey`. */
export function identityJwks(signingKey: { keyId: string; privateKey: string }): { keys: JsonWebKey[] } {
  const jwk = createPublicKey(createPrivateKey(signingKey.privateKey)).export({ format: 'jwk' });
  return { keys: [{ ...jwk, kid: signingKey.keyId, alg: 'EdDSA', use: 'sig' }] };
}

/**
 * For subgraphs (and tests): checks the identity headers a request carries against the shared
 * secret(s) (`x-portico-identity-signature`), and/or against the published public keys
 * (`publicKeys`, the JWKS's `keys`; `x-portico-identity-key-signature`); each given kind must
 * pass. Give the old and the new secret (or both keys) while rotating. `maxAgeSeconds` bounds
 * replay of captured headers and absorbs clock differences between gateway and subgraph.
 */
export function verifyIdentityHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
  secrets: readonly string[],
  options: { now?: () => number; maxAgeSeconds?: number; publicKeys?: readonly JsonWebKey[] } = {},
): IdentityCheck {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? undefined : value;
  };
  const timestamp = header(IDENTITY_HEADERS.timestamp);
  const useSecrets = secrets.length > 0 || options.publicKeys === undefined;
  const signature = useSecrets ? header(IDENTITY_HEADERS.signature) : undefined;
  const keySignature = options.publicKeys === undefined ? undefined : header(IDENTITY_HEADERS.keySignature);
  const auth = header(IDENTITY_HEADERS.auth);
  const claims = header(IDENTITY_HEADERS.claims);
  const version = (signature ?? keySignature)?.slice(0, 3);
  if (
    timestamp === undefined ||
    auth === undefined ||
    (useSecrets && signature === undefined) ||
    (options.publicKeys !== undefined && keySignature === undefined) ||
    (version !== 'v1=' && version !== 'v2=') ||
    (signature !== undefined && keySignature !== undefined && keySignature.slice(0, 3) !== version)
  ) {
    return { ok: false, reason: 'missing' };
  }
  // Claims a v1 signature does not cover are unsigned: refused rather than passed on as if checked.
  if ((version === 'v2=') !== (claims !== undefined)) return { ok: false, reason: 'bad_signature' };
  const values: Partial<Record<Signed, string>> = {};
  for (const name of SIGNED) {
    const value = header(IDENTITY_HEADERS[name]);
    if (value !== undefined) values[name] = value;
  }
  const canonical = claims === undefined ? canonicalIdentity(timestamp, values) : canonicalIdentityWithClaims(timestamp, values, claims);
  if (signature !== undefined) {
    const presented = Buffer.from(signature.slice(3), 'base64url');
    const matches = secrets.some((secret) => {
      const expected = createHmac('sha256', secret).update(canonical).digest();
      return expected.length === presented.length && timingSafeEqual(expected, presented);
    });
    if (!matches) return { ok: false, reason: 'bad_signature' };
  }
  if (keySignature !== undefined && !keySignatureMatches(keySignature.slice(3), canonical, options.publicKeys ?? [])) {
    return { ok: false, reason: 'bad_signature' };
  }
  const signedAt = Number(timestamp);
  const nowSeconds = (options.now ?? Date.now)() / 1000;
  if (!Number.isInteger(signedAt) || Math.abs(nowSeconds - signedAt) > (options.maxAgeSeconds ?? 300)) {
    return { ok: false, reason: 'stale' };
  }
  const decode = (value: string | undefined) => (value === undefined ? undefined : decodeURIComponent(value));
  const list = (value: string | undefined) => (value === undefined ? [] : decodeURIComponent(value).split(' '));
  const identity: VerifiedIdentity = { auth, scopes: list(values.scopes), roles: list(values.roles), signedAt };
  if (claims !== undefined) {
    try {
      identity.claims = JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as Record<string, unknown>;
    } catch {
      return { ok: false, reason: 'bad_signature' };
    }
  }
  const subject = decode(values.subject);
  if (subject !== undefined) identity.subject = subject;
  const tenant = decode(values.tenant);
  if (tenant !== undefined) identity.tenant = tenant;
  const plan = decode(values.plan);
  if (plan !== undefined) identity.plan = plan;
  return { ok: true, identity };
}

/** `<kid>:<base64url signature>` checked with the published key of that kid (Ed25519 only). */
function keySignatureMatches(value: string, canonical: string, publicKeys: readonly JsonWebKey[]): boolean {
  const colon = value.indexOf(':');
  if (colon < 0) return false;
  const kid = value.slice(0, colon);
  const jwk = publicKeys.find((candidate) => candidate.kid === kid && candidate.kty === 'OKP' && candidate.crv === 'Ed25519');
  if (jwk === undefined) return false;
  try {
    const { kid: _kid, alg: _alg, use: _use, ...material } = jwk;
    return verify(null, Buffer.from(canonical, 'utf8'), createPublicKey({ key: material, format: 'jwk' }), Buffer.from(value.slice(colon + 1), 'base64url'));
  } catch {
    return false;
  }
}
