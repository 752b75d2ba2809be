import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { writeConfigDir, type ConfigDir } from './configDir.js';

const repoRoot = path.resolve(import.meta.dirname, '../..');

/** The Redis event source the subscription e2e tests serve: order events on `orders.<id>.status`. */
export const EVENTS_SDL = /* GraphQL */ `
directive @requiresScopes(scopes: [[String!]!]!) on OBJECT | INTERFACE | FIELD_DEFINITION

type OrderEvent {
  orderId: ID!
  status: String!
  seq: Int!
  "Large on purpose in the slow-consumer test."
  blob: String
  "Only for callers holding orders:internal."
  internalNote: String @requiresScopes(scopes: [["orders:internal"]])
}

type Subscription {
  orderStatus(orderId: ID!): OrderEvent @channel(name: "orders.{orderId}.status")
}
`;

/**
 * A config folder for one BFF `app` over the Redis event source above (and the users source, for
 * the Query type an event source lacks; never called), taking HS256 tokens signed with `secret`.
 */
export async function writeEventsDeployment(options: {
  name: string;
  redisUrl: string;
  secret: string;
  issuer: string;
  root?: Record<string, unknown>;
  bff?: Record<string, unknown>;
}): Promise<ConfigDir> {
  const config = await writeConfigDir({
    name: options.name,
    root: {
      sources: './sources.ts',
      admin: { port: 0, token: { env: 'PORTICO_ADMIN_TOKEN' } },
      redis: { url: options.redisUrl, commandTimeoutMs: 2_000 },
      ...options.root,
    },
    bff: {
      name: 'app',
      port: 0,
      sources: ['users', 'events'],
      auth: { jwt: { keys: [{ alg: 'HS256', secret: options.secret }], algorithms: ['HS256'], issuer: options.issuer, audience: 'app' } },
      ...options.bff,
    },
  });
  await writeFile(path.join(config.dir, 'events.graphql'), EVENTS_SDL);
  await writeFile(
    path.join(config.dir, 'sources.ts'),
    `export default ${JSON.stringify({
      users: { kind: 'graphql', url: 'http://127.0.0.1:9/graphql', schema: path.join(repoRoot, 'schemas/users.graphql') },
      events: { kind: 'redis-events', schema: './events.graphql' },
    })};\n`,
  );
  return config;
}
