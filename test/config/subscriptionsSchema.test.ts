import { describe, expect, it } from 'vitest';
import { federationSourceSchema, graphqlSourceSchema } from '../../src/config/schema.js';

const firstIssue = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
  result.success ? undefined : `${result.error!.issues[0]!.path.join('.')}: ${result.error!.issues[0]!.message}`;

describe('the subscriptions key of a source', () => {
  const source = { kind: 'graphql', url: 'http://users:4101/graphql', schema: './users.graphql' };

  it('defaults to SSE at the source url with a 10 s connect timeout, identical subscriptions sharing one stream', () => {
    expect(graphqlSourceSchema.parse(source).subscriptions).toEqual({ protocol: 'sse', connectTimeoutMs: 10_000, share: true });
  });

  it('turns sharing off with share: false, and refuses a share that is not a boolean', () => {
    expect(graphqlSourceSchema.parse({ ...source, subscriptions: { share: false } }).subscriptions?.share).toBe(false);
    expect(firstIssue(graphqlSourceSchema.safeParse({ ...source, subscriptions: { share: 'no' } }))).toMatch(/^subscriptions\.share: /);
  });

  it('takes a WebSocket at its own url, per federation subgraph', () => {
    const parsed = federationSourceSchema.parse({
      kind: 'federation',
      subgraphs: [{ name: 'orders', url: 'http://orders:4102/graphql', schema: './orders.graphql', subscriptions: { protocol: 'ws', url: 'wss://orders/graphql' } }],
    });
    expect(parsed.subgraphs?.[0]?.subscriptions).toEqual({ protocol: 'ws', url: 'wss://orders/graphql', connectTimeoutMs: 10_000, share: true });
  });

  it('names the key of a mistake: an unknown protocol, a misspelt key, a URL of another scheme', () => {
    expect(firstIssue(graphqlSourceSchema.safeParse({ ...source, subscriptions: { protocol: 'mqtt' } }))).toMatch(/^subscriptions\.protocol: /);
    expect(firstIssue(graphqlSourceSchema.safeParse({ ...source, subscriptions: { protcol: 'ws' } }))).toMatch(/^subscriptions: .*protcol/);
    expect(firstIssue(graphqlSourceSchema.safeParse({ ...source, subscriptions: { url: 'ftp://x/graphql' } }))).toMatch(/^subscriptions\.url: /);
  });
});
