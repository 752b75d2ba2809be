import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from 'jose';

/** The algorithms the demo IdP signs with: one RSA and one EC key per generation. */
export const IDP_ALGORITHMS = ['RS256', 'ES256'] as const;
export type IdpAlgorithm = (typeof IDP_ALGORITHMS)[number];

export interface SigningKey {
  /** Deterministic: `<alg>-<generation>`, e.g. `rs256-1`, so tests and logs can name keys. */
  kid: string;
  alg: IdpAlgorithm;
  privateKey: CryptoKey;
  /** The public half as published in the JWKS (`kid`, `alg`, `use: sig` set). */
  publicJwk: JWK;
}

/** One rotation step: a fresh RS256 and ES256 key pair. */
export interface KeyGeneration {
  generation: number;
  keys: Record<IdpAlgorithm, SigningKey>;
}

/**
 * Key material is random (generated at start, never written anywhere); only the `kid`s are
 * deterministic. Two IdP processes therefore publish the same `kid` for different keys, which is
 * exactly the situation a gateway must survive after an IdP restart.
 */
export async function generateKeyGeneration(generation: number): Promise<KeyGeneration> {
  const [rs, es] = await Promise.all(IDP_ALGORITHMS.map((alg) => generateSigningKey(alg, generation)));
  return { generation, keys: { RS256: rs!, ES256: es! } };
}

async function generateSigningKey(alg: IdpAlgorithm, generation: number): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true });
  const kid = `${alg.toLowerCase()}-${generation}`;
  const publicJwk: JWK = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  return { kid, alg, privateKey, publicJwk };
}
