import { readFileSync } from 'node:fs';
import { buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { createPlannedExecute } from '../../../../src/sources/federation/planner/createPlannedExecute.js';
import { readSupergraphModel } from '../../../../src/sources/federation/planner/supergraphModel.js';
import { committedSupergraphPath } from '../../../support/federationFixture.js';

const supergraph = parse(readFileSync(committedSupergraphPath('shop'), 'utf8'));
// The planner's cache is what is under test, not the answers: a schema with the client's types
// is enough, and no fetch is ever sent (introspection always falls back).
const schema = buildSchema('type Query { topProducts: [Product!]! } type Product { upc: String! name: String! }');

describe('the plan cache', () => {
  it('keeps at most 32 plans per document, however many @skip/@include combinations arrive', async () => {
    const conditions = Array.from({ length: 6 }, (_, index) => `c${index}`);
    const document = parse(`
      query Many(${conditions.map((name) => `$${name}: Boolean!`).join(', ')}) {
        topProducts { ${conditions.map((name) => `upc @include(if: $${name})`).join(' ')} }
        __schema { queryType { name } }
      }
    `);
    let decided = 0;
    const planned = createPlannedExecute({
      model: readSupergraphModel(supergraph),
      schema,
      executorFor: () => () => {
        throw new Error('no fetch expected');
      },
      onFallback: () => decided++,
    });
    const combinations = Array.from({ length: 64 }, (_, bits) =>
      Object.fromEntries(conditions.map((name, index) => [name, (bits & (1 << index)) !== 0])),
    );
    for (const pass of [1, 2]) {
      for (const variableValues of combinations) planned({ schema, document, variableValues }, () => ({ data: null }));
      // The first pass decides 64 times; the second only for the combinations not kept.
      expect(decided).toBe(pass === 1 ? 64 : 64 + 32);
    }
  });
});
