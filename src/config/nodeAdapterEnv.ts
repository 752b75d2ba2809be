import { ConfigError } from './configError.js';

/** The environment variable that turns the node adapter off (src/server/nodeYogaAdapter.ts). */
export const NODE_ADAPTER_ENV = 'PORTICO_NODE_ADAPTER';

/**
 * Whether the BFF servers answer GraphQL POSTs through the node adapter (the default) or through
 * yoga's own @whatwg-node handler for every request (`off`): the same pipeline either way, the
 * adapter without a fetch Request and Response per request. `off` is an escape hatch (a plugin of
 * a BFF team's that needs a member of the fetch Request the adapter does not give it) and the
 * baseline of the A/B bench (bench/abServe.ts). Anything but `on`, `off` or unset stops start-up
 * naming the variable.
 */
export function nodeAdapterEnabled(env: Readonly<Record<string, string | undefined>> = process.env): boolean {
  const raw = env[NODE_ADAPTER_ENV]?.trim();
  if (raw === undefined || raw === '' || raw === 'on') return true;
  if (raw === 'off') return false;
  throw new ConfigError('environment', NODE_ADAPTER_ENV, `expected on or off, got ${JSON.stringify(raw)}`);
}
