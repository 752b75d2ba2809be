import { importJWK, importSPKI, type CryptoKey, type JWK } from 'jose';
import type { StaticKeyConfig } from '../../config/authSchema.js';
import { AuthFailure } from './authFailure.js';
import type { KeySource } from './jwksKeySource.js';
import { pickKey } from './keyMatching.js';

/**
 * Keys given in the config (a PEM, a JWK or an HMAC secret), each bound to the one algorithm it
 * was configured with: a token naming another algorithm finds no key. The config schema already
 * checked that every key parses; import happens once, on first use.
 */
export function createStaticKeySource(keys: readonly StaticKeyConfig[]): KeySource {
  const imported = new Map<StaticKeyConfig, Promise<CryptoKey | Uint8Array>>();
  const load = (key: StaticKeyConfig): Promise<CryptoKey | Uint8Array> => {
    let loaded = imported.get(key);
    if (!loaded) {
      loaded =
        'secret' in key
          ? Promise.resolve(new TextEncoder().encode(key.secret))
          : 'pem' in key
            ? importSPKI(key.pem, key.alg)
            : importJWK(key.jwk as JWK, key.alg);
      imported.set(key, loaded);
    }
    return loaded;
  };
  return {
    async getKey(header) {
      const key = pickKey(keys, (candidate) => candidate.kid, (candidate) => candidate.alg === header.alg, header.kid);
      if (!key) throw new AuthFailure('unknown_key', 'bearer');
      return load(key);
    },
  };
}
