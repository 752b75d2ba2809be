import { createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { checkPartnerCredentials, clientCertificatesSchema, partnerCredentialsSchema } from './clientCertificatesSchema.js';

// The auth section of a BFF config (`auth` in bffs/<name>/bff.config.ts). The auth plugin
// (src/plugins/auth/useAuth.ts) takes this schema's output as its options, so the documentation
// here is the plugin's documentation too.

/** Asymmetric JWS algorithms: verified with a public key, from a JWKS or a static key. */
export const ASYMMETRIC_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
/** HMAC algorithms: only with a shared secret given in `keys`, never with a key from a JWKS. */
export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
// `none` is in neither list: an unsigned token can never be accepted, whatever the config says.
export const JWT_ALGORITHMS = [...ASYMMETRIC_ALGORITHMS, ...HMAC_ALGORITHMS] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

const nonEmpty = z.string().min(1);
const oneOrMany = z.union([nonEmpty, z.array(nonEmpty).min(1)]);
const kid = z.string().min(1).max(256).optional();
/** A claim: its name (`sub`, `https://example.com/tenant`) or a dotted path into objects (`realm_access.roles`). */
const claimPath = z.string().min(1).max(200);

export const staticKeySchema = z
  .union([
    z.strictObject({ kid, alg: z.enum(ASYMMETRIC_ALGORITHMS), pem: z.string().includes('-----BEGIN PUBLIC KEY-----', { error: 'expected an SPKI PEM public key' }) }),
    z.strictObject({ kid, alg: z.enum(ASYMMETRIC_ALGORITHMS), jwk: z.record(z.string(), z.unknown()) }),
    // 32 bytes = 256 bits, the HS256 output size; shorter secrets make the MAC guessable offline.
    z.strictObject({ kid, alg: z.enum(HMAC_ALGORITHMS), secret: z.string().min(32) }),
  ])
  .superRefine((key, context) => {
    if ('secret' in key) return;
    let parsed: KeyObject;
    try {
      parsed = 'pem' in key ? createPublicKey(key.pem) : createPublicKey({ key: key.jwk as never, format: 'jwk' });
    } catch (error) {
      context.addIssue({ code: 'custom', message: `the key does not parse: ${(error as Error).message}`, path: ['pem' in key ? 'pem' : 'jwk'] });
      return;
    }
    // createPublicKey derives a public key from a private one, so look at the input itself.
    if ('jwk' in key && ('d' in key.jwk || 'k' in key.jwk)) {
      context.addIssue({ code: 'custom', message: 'expected a public key; private or secret key material does not belong in a JWK here', path: ['jwk'] });
    } else if (!publicKeyFits(parsed, key.alg)) {
      context.addIssue({ code: 'custom', message: `a ${describeKey(parsed)} key cannot verify ${key.alg}`, path: ['alg'] });
    }
  });

const CURVES: Record<string, string> = { ES256: 'prime256v1', ES384: 'secp384r1', ES512: 'secp521r1' };

function publicKeyFits(key: KeyObject, alg: string): boolean {
  const type = key.asymmetricKeyType;
  if (alg.startsWith('RS')) return type === 'rsa';
  if (alg.startsWith('PS')) return type === 'rsa' || type === 'rsa-pss';
  if (alg.startsWith('ES')) return type === 'ec' && key.asymmetricKeyDetails?.namedCurve === CURVES[alg];
  return type === 'ed25519' || type === 'ed448';
}

function describeKey(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  return curve ? `${key.asymmetricKeyType} ${curve}` : String(key.asymmetricKeyType);
}

export const jwtAuthSchema = z
  .strictObject({
    /** The issuer's JWKS. Give either this or `keys`. @example 'https://idp.example.com/.well-known/jwks.json' */
    jwksUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** Static verification keys (PEM, JWK or an HMAC secret), each bound to one algorithm. */
    keys: z.array(staticKeySchema).min(1).optional(),
    /** Accepted `iss` value(s). */
    issuer: oneOrMany,
    /** Accepted `aud` value(s): one per BFF, so a token for one client app is refused by another. */
    audience: oneOrMany,
    /**
     * Accepted `alg` values. @default ['RS256', 'ES256']: what common IdPs sign with; a key only
     * verifies tokens of the algorithm it is bound to, so allowing more widens nothing by itself.
     */
    algorithms: z.array(z.enum(JWT_ALGORITHMS)).min(1).default(['RS256', 'ES256']),
    /**
     * Leeway for `exp` and `nbf`. @default 30: NTP keeps hosts within milliseconds, but VMs that
     * resume from a pause drift by seconds; 30 s absorbs that while an expired token is refused
     * half a minute later at most (jose's default is 0, many gateways use 60-300).
     */
    clockSkewSeconds: z.number().int().min(0).max(300).default(30),
    /**
     * Longer tokens are refused before any decoding. @default 8192: twice a large Entra ID token
     * with group claims, well under Node's 16 KiB header limit, and it bounds the base64 and JSON
     * work an anonymous client can cause.
     */
    maxTokenBytes: z.number().int().min(512).max(16_384).default(8192),
    /**
     * Refuse tokens without `jti`. @default false: many IdPs omit it, and a token without one
     * simply cannot be revoked by id (it still expires).
     */
    requireJti: z.boolean().default(false),
    /** Where each part of the principal is read from in the token. */
    claims: z
      .strictObject({
        /** @default 'sub' */
        subject: claimPath.default('sub'),
        /** @default 'tenant' */
        tenant: claimPath.default('tenant'),
        /** @default 'plan' */
        plan: claimPath.default('plan'),
        /** A space-separated string (OAuth 2 `scope`) or an array. @default 'scope' */
        scopes: claimPath.default('scope'),
        /** @default 'roles' */
        roles: claimPath.default('roles'),
      })
      .prefault({}),
    cache: z
      .strictObject({
        /**
         * Verified tokens remembered (LRU), keyed by a SHA-256 of the token, each until the
         * token's `exp`. 0 turns the cache off. @default 10_000: distinct live tokens one instance
         * sees in a token lifetime at a few thousand active users, at about 1 KiB each.
         */
        maxEntries: z.number().int().min(0).default(10_000),
      })
      .prefault({}),
    jwks: z
      .strictObject({
        /**
         * Known keys older than this are refetched in the background (the request never waits),
         * so keys the IdP removed stop being trusted. @default 300
         */
        refreshIntervalSeconds: z.number().int().min(1).default(300),
        /**
         * Minimum time between two JWKS fetches, whatever the tokens say. @default 10: a flood of
         * tokens with made-up `kid`s causes at most 6 fetches a minute per instance, while a
         * freshly rotated key is picked up within 10 s.
         */
        cooldownSeconds: z.number().int().min(1).default(10),
        /** @default 3000: a JWKS is a small static document; slower means the IdP is in trouble. */
        timeoutMs: z.number().int().positive().default(3000),
      })
      .prefault({}),
  })
  .refine((jwt) => (jwt.jwksUrl === undefined) !== (jwt.keys === undefined), { error: 'give exactly one of "jwksUrl" or "keys"' })
  .refine((jwt) => jwt.jwksUrl === undefined || jwt.algorithms.every((alg) => !alg.startsWith('HS')), {
    error: 'HS* algorithms need a shared secret in "keys"; a JWKS publishes public keys only',
    path: ['algorithms'],
  })
  .refine((jwt) => (jwt.keys ?? []).every((key) => (jwt.algorithms as readonly string[]).includes(key.alg)), {
    error: 'every key\'s "alg" must be listed in "algorithms"',
    path: ['keys'],
  });

export const apiKeySchema = z.strictObject({
  /** Names the key in logs and as the principal's subject; never the key itself. */
  id: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
  /** SHA-256 of the key, lower-case hex: the config never holds a usable key. */
  hash: z.string().regex(/^[0-9a-f]{64}$/, { error: 'expected the SHA-256 of the key as 64 lower-case hex digits' }),
  tenant: nonEmpty,
  plan: nonEmpty,
  scopes: z.array(nonEmpty).default([]),
  roles: z.array(nonEmpty).default([]),
  /**
   * When the key stops working (ISO 8601 with a time zone); refused 401 `expired_api_key` from
   * then on. Rotation: add the partner's new key, give the old one an `expiresAt`, remove it once
   * `portico_api_key_last_used_seconds` shows it idle. @default none: valid until removed
   */
  expiresAt: z.iso.datetime({ offset: true }).optional(),
});

/** At most this many keys per partner (tenant) are valid at once: the current one and its successor. */
export const MAX_ACTIVE_KEYS_PER_TENANT = 2;

export const apiKeysSchema = z
  .strictObject({
    /** Accept API keys on this BFF. @default false: partner integrations only, per BFF. */
    enabled: z.boolean().default(false),
    /** @default 'x-api-key' */
    header: z.string().regex(/^[a-z0-9-]+$/, { error: 'expected a lower-case header name' }).default('x-api-key'),
    keys: z.array(apiKeySchema).default([]),
  })
  .prefault({})
  .refine((api) => new Set(api.keys.map((key) => key.hash)).size === api.keys.length, { error: 'two keys have the same hash', path: ['keys'] })
  .refine((api) => new Set(api.keys.map((key) => key.id)).size === api.keys.length, { error: 'two keys have the same id', path: ['keys'] })
  .superRefine((api, context) => {
    // Checked at start-up and on every reload: a third live key means a rotation never finished
    // (or a key was shared); expired keys do not count.
    const now = Date.now();
    const active = new Map<string, string[]>();
    for (const key of api.keys) {
      if (key.expiresAt !== undefined && Date.parse(key.expiresAt) <= now) continue;
      active.set(key.tenant, [...(active.get(key.tenant) ?? []), key.id]);
    }
    for (const [tenant, ids] of active) {
      if (ids.length > MAX_ACTIVE_KEYS_PER_TENANT) {
        context.addIssue({
          code: 'custom',
          path: ['keys'],
          message: `tenant "${tenant}" has ${ids.length} unexpired keys (${ids.join(', ')}); at most ${MAX_ACTIVE_KEYS_PER_TENANT} (the current key and its successor): give the old ones an "expiresAt" in the past or remove them`,
        });
      }
    }
  });

export const revocationsSchema = z
  .strictObject({
    /**
     * Where revoked token ids are kept. @default 'redis' when the deployment has a Redis (root
     * `redis` or REDIS_URL), so every instance refuses a revoked token; else 'memory'.
     */
    store: z.enum(['memory', 'redis']).optional(),
    /**
     * When the store cannot answer: 'deny' refuses the request (503 AUTH_UNAVAILABLE), 'allow'
     * lets a token with a valid signature through unchecked. @default 'deny': a revoked token
     * must not become good again because Redis is down.
     */
    onStoreError: z.enum(['deny', 'allow']).default('deny'),
  })
  .prefault({});

export const identityHeadersSchema = z
  .strictObject({
    /**
     * Per-deployment secret for `x-portico-identity-signature` (HMAC-SHA256), shared with the
     * subgraphs so they can check the identity came from this gateway (docs/identity.md). Absent:
     * the headers are sent unsigned and subgraphs must rely on the network alone.
     */
    secret: z.string().min(32).optional(),
    /**
     * An Ed25519 private key (PKCS#8 PEM, e.g. from PORTICO_IDENTITY_KEY) that also signs the
     * identity headers (`x-portico-identity-key-signature`), for sources that should verify
     * without holding a secret that could forge identities: the public half is published as a
     * JWKS at `/.well-known/portico-identity-jwks.json` on the BFF (docs/identity.md).
     * @default undefined: HMAC with `secret` only
     */
    signingKey: z
      .strictObject({
        /** Names the key in the signature header and the JWKS, so sources can rotate. @example 'identity-2026-12' */
        keyId: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/),
        privateKey: z.string().superRefine((pem, context) => {
          let key: KeyObject;
          try {
            key = createPrivateKey(pem);
          } catch {
            context.addIssue({ code: 'custom', message: 'expected a PKCS#8 PEM private key (-----BEGIN PRIVATE KEY-----); it does not parse' });
            return;
          }
          if (key.asymmetricKeyType !== 'ed25519') context.addIssue({ code: 'custom', message: `expected an Ed25519 key, got ${key.asymmetricKeyType ?? 'unknown'}` });
        }),
      })
      .optional(),
  })
  .prefault({});

export const authSchema = z
  .strictObject({
    /** Bearer JWTs; absent means this BFF accepts none (a bearer token is refused with 401). */
    jwt: jwtAuthSchema.optional(),
    apiKeys: apiKeysSchema,
    revocations: revocationsSchema,
    identityHeaders: identityHeadersSchema,
    /**
     * Requests without credentials: 'allow' passes them on as the anonymous principal (field
     * authorization decides what they may read), 'deny' refuses them with 401 at the edge.
     * @default 'allow': public fields (`@public`) stay reachable; invalid credentials are always 401.
     */
    anonymous: z.enum(['allow', 'deny']).default('allow'),
    /** Partner client certificates: the allow-list (src/config/clientCertificatesSchema.ts); needs `tls.clientCaFile`. */
    clientCertificates: clientCertificatesSchema.optional(),
    /** What a partner presents: 'apiKey' (default), 'certificate', 'either' or 'both' (src/config/clientCertificatesSchema.ts). */
    partnerCredentials: partnerCredentialsSchema,
  })
  .superRefine(checkPartnerCredentials)
  .prefault({});

export type AuthConfig = z.output<typeof authSchema>;
export type JwtAuthConfig = z.output<typeof jwtAuthSchema>;
export type StaticKeyConfig = z.output<typeof staticKeySchema>;
export type ApiKeysConfig = z.output<typeof apiKeysSchema>;
export type RevocationsConfig = z.output<typeof revocationsSchema>;
