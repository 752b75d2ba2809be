import type { BffConfigInput } from '../../src/config/schema.js';

/**
 * Limits far above what the benchmark sends, so every request is admitted and the figures are
 * the price of checking and charging two buckets (global, and the caller's address), not of 429s.
 */
export function benchBff(name: string, store: 'memory' | 'redis'): BffConfigInput {
  return {
    name,
    port: 0,
    sources: ['users'],
    resolvers: '../resolvers.ts',
    authz: { defaultPolicy: 'public' },
    rateLimit: {
      store,
      tiers: [
        { kind: 'global', limit: 1_000_000_000, windowSeconds: 60 },
        { kind: 'anonymous', limit: 1_000_000_000, windowSeconds: 60 },
      ],
    },
  };
}
