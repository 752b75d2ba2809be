// Hive Gateway for `npm run bench:subscriptions -- --upstream ws`: subscriptions go to the bench
// upstream over a graphql-transport-ws WebSocket (on the subgraph's own path), as Portico's source
// config says `subscriptions: { protocol: 'ws' }`. Without this file Hive uses SSE, as Portico does.
import { defineConfig } from '@graphql-hive/gateway';

export const gatewayConfig = defineConfig({
  transportEntries: {
    '*.http': { options: { subscriptions: { kind: 'ws', location: '/graphql' } } },
  },
});
