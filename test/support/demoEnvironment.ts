import type { SubgraphSet } from './subgraphs.js';
import type { Idp } from './tokens.js';

/**
 * The environment `portico.config.ts` reads for the demo deployment over test processes: every
 * listener on port 0, the sources and the IdP at the processes' URLs, and a demo rate-limit plan
 * large enough that a test sending hundreds of documents is not what it limits.
 */
export function demoEnvironment(subgraphs: SubgraphSet, idp: Idp): Record<string, string> {
  return {
    WEB_PORT: '0',
    MOBILE_PORT: '0',
    PARTNER_PORT: '0',
    ADMIN_PORT: '0',
    USERS_URL: subgraphs.users.url,
    ORDERS_URL: subgraphs.orders.url,
    PRODUCTS_URL: subgraphs.products.url,
    INVENTORY_URL: subgraphs.inventory.url,
    IDP_URL: idp.url,
    DEMO_RATE_LIMIT_POINTS: '100000000',
  };
}
