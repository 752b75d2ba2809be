import { describe, expect, it } from 'vitest';
import { federationSourceSchema, graphqlSourceSchema } from '../../src/config/schema.js';

const firstIssue = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  result.success ? undefined : `${result.error!.issues[0]!.path.join('.')}: ${result.error!.issues[0]!.message}`;

describe('the subscriptions key of a source', () => {
  const source = { kind: 'graphql', url: 'http://users:4101/graphql', schema: './users.graphql' };

  it('defaults to SSE at the source url with a 10 s connect timeout', () => {
    expect(graphqlSourceSchema.parse(source).subscriptions).toEqual({ protocol: 'sse', connectTimeoutMs: 10_000 });
  });

  it('takes a WebSocket at its own url, per federation subgraph', () => {
    const parsed = federationSourceSchema.parse({
      kind: 'federation',
      subgraphs: [{ name: 'orders', url: 'http://orders:4102/graphql', schema: './orders.graphql', subscriptions: { protocol: 'ws', url: 'wss://orders/graphql' } }],
    });
    expect(parsed.subgraphs?.[0]?.subscriptions).toEqual({ protocol: 'ws', url: 'wss://orders/graphql', connectTimeoutMs: 10_000 });
  });

  it('names the key of a mistake: an unknown protocol, a misspelt key, a URL of another scheme', () => {
    expect(firstIssue(graphqlSourceSchema.safeParse({ ...source, subscriptions: { protocol: 'mqtt' } }))).toMatch(/^subscriptions\.protocol: /);
    expect(firstIssue(graphqlSourceSchema.safeParse({ ...source, subscriptions: { protcol: 'ws' } }))).toMatch(/^subscriptions: .*protcol/);
    expect(firstIssue(graphqlSourceSchema.safeParse({ ...source, subscriptions: { url: 'ftp://x/graphql' } }))).toMatch(/^subscriptions\.url: /);
  });
});
