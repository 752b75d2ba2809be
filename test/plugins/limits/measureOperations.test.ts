import depthLimit from 'graphql-depth-limit';
import { buildSchema, parse, validate } from 'graphql';
import { describe, expect, it } from 'vitest';
import { measureOperations } from '../../../src/plugins/limits/measureOperations.js';

const schema = buildSchema(`
  type User { id: ID! name: String friends: [User!]! }
  type Query { me: User users: [User!]! }
`);

const measure = (query: string) => [...measureOperations(parse(query)).values()];

/** What graphql-depth-limit reports for the same document: the reference for "depth". */
function referenceDepth(query: string): number {
  let depths: Record<string, number> = {};
  validate(schema, parse(query), [depthLimit(1000, {}, (found: Record<string, number>) => (depths = found))]);
  return Math.max(...Object.values(depths));
}

describe('measuring operations', () => {
  it.each([
    ['{ me { id } }'],
    ['{ __typename me { name } }'],
    ['{ me { friends { friends { id } } } users { id } }'],
    ['{ me { ...F } } fragment F on User { friends { ... on User { friends { name } } } }'],
    ['{ __schema { types { fields { type { ofType { name } } } } } me { id } }'],
  ])('counts depth as graphql-depth-limit does: %s', (query) => {
    expect(measure(query)[0]!.depth).toBe(referenceDepth(query));
  });

  it('counts introspection fields in introspectionDepth, which depth leaves out', () => {
    const [measured] = measure('{ __schema { types { fields { type { ofType { name } } } } } me { id } }');
    expect(measured).toMatchObject({ depth: 1, introspectionDepth: 5 });
    expect(measure('{ me { ...F } } fragment F on User { friends { id } }')[0]).toMatchObject({ depth: 2, introspectionDepth: 2 });
  });

  it('counts aliases and directives as executed, once per spread', () => {
    const [measured] = measure(`
      query Q($x: Boolean! @deprecated) @skip(if: false) { a: me { ...F } b: me { ...F } }
      fragment F on User @include(if: true) { n: name @include(if: $x) id }
    `);
    // aliases: a, b, and n twice; directives: 1 on the operation, 1 on the variable, then per
    // spread the fragment's own and its field's.
    expect(measured).toEqual({ depth: 1, introspectionDepth: 1, aliases: 4, directives: 2 + 2 * 2 });
  });

  it('measures a fragment bomb in linear time, with its real (exponential) counts', () => {
    const levels = 40;
    const fragments = Array.from({ length: levels }, (_, i) =>
      i === levels - 1 ? `fragment F${i} on User { a: id }` : `fragment F${i} on User { ...F${i + 1} ...F${i + 1} }`,
    );
    const [measured] = measure(`{ me { ...F0 } } ${fragments.join(' ')}`);
    expect(measured!.aliases).toBe(2 ** (levels - 1));
    expect(measured!.depth).toBe(1);
  });

  it('counts a fragment cycle or an unknown fragment as nothing, leaving them to graphql-js', () => {
    expect(measure('{ me { ...A } } fragment A on User { ...B } fragment B on User { ...A x: id }')[0]).toEqual({ depth: 1, introspectionDepth: 1, aliases: 1, directives: 0 });
    expect(measure('{ me { ...Missing } }')[0]).toEqual({ depth: 1, introspectionDepth: 1, aliases: 0, directives: 0 });
  });

  it('measures each operation of a document on its own', () => {
    expect(measure('query A { me { id } } query B { a: me { b: id } }').map((m) => m.aliases)).toEqual([0, 2]);
  });
});
