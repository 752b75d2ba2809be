import { ConfigError, displayPath } from './configError.js';
import type { PorticoConfig } from './loadConfig.js';

/**
 * What `portico start` refuses to run without, outside demo mode (`PORTICO_DEMO=1`, which
 * `portico demo` sets): every BFF signs the identity headers it sends to its sources
 * (`auth.identityHeaders.secret`). Unsigned, any process that reaches a source on the network
 * can claim to be any user; the demo runs everything on one laptop's loopback and may skip it.
 */
export function requireProductionSecrets(config: PorticoConfig): void {
  for (const bff of config.bffs) {
    if (bff.auth.identityHeaders.secret === undefined) {
      throw new ConfigError(
        displayPath(bff.file),
        'auth.identityHeaders.secret',
        'required outside demo mode: a secret of at least 32 characters shared with the sources (e.g. from PORTICO_IDENTITY_SECRET; docs/identity.md), or PORTICO_DEMO=1 for a demo',
      );
    }
  }
}
