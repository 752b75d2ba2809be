import type { BffConfigInput } from '../../src/config/schema.js';

/** A BFF over one source, open to anonymous callers: the figures are the source call's, not auth's. */
export function benchBff(name: string, source: string): BffConfigInput {
  return { name, port: 0, sources: [source], authz: { defaultPolicy: 'public' } };
}
