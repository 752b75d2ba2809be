import { describe, expect, it } from 'vitest';
import { createSourceAgents } from '../../src/transport/sourceAgents.js';

describe('source TLS pools', () => {
  it("gives a source's subgraphs and traffic versions the source's own pool, and others the shared one", async () => {
    const agents = createSourceAgents({});
    agents.use({ orders: { tlsMaterial: { http2: true } }, users: {} });
    const orders = agents.agentFor('orders');
    expect(orders).toBeDefined();
    expect(agents.agentFor('orders/fulfilment')).toBe(orders);
    expect(agents.agentFor('orders@canary')).toBe(orders);
    expect(agents.agentFor('users')).toBeUndefined();
    expect(agents.agentFor('ordersx')).toBeUndefined();
    await agents.close();
  });
});
