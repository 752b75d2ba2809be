import { describe, expect, it } from 'vitest';
import { sourceSchema } from '../../src/config/schema.js';

const federation = (subgraphTraffic: Record<string, unknown>) => ({
  kind: 'federation',
  subgraphs: [{ name: 'orders', url: 'http://orders/graphql', schema: 'orders.graphql' }],
  subgraphTraffic,
});
const versions = { versions: { stable: 'http://orders/graphql', canary: 'http://orders-next/graphql' }, weights: { stable: 90, canary: 10 } };

describe('a federation source\'s subgraphTraffic', () => {
  it('takes a traffic block per listed subgraph, with the same defaults as a source\'s', () => {
    const parsed = sourceSchema.parse(federation({ orders: versions }));
    expect(parsed.kind === 'federation' && parsed.subgraphTraffic?.['orders']).toMatchObject({ primary: 'stable', sticky: true, rules: [], weights: { stable: 90, canary: 10 } });
  });

  it('refuses a subgraph that is not listed, naming the key and the subgraphs there are', () => {
    const result = sourceSchema.safeParse(federation({ order: versions }));
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([expect.objectContaining({ path: ['subgraphTraffic', 'order'], message: 'no subgraph named "order" (subgraphs: orders)' })]);
  });

  it('checks each block as a source\'s traffic block is checked', () => {
    const result = sourceSchema.safeParse(federation({ orders: { ...versions, weights: { stable: 90, canary: 20 } } }));
    expect(result.error?.issues).toEqual([expect.objectContaining({ path: ['subgraphTraffic', 'orders', 'weights'], message: 'weights must sum to 100, got 110' })]);
  });
});
