import { buildSchema, execute, getOperationAST, Kind, parse, type FragmentDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { compileShaper, NOT_SHAPED } from '../../../../src/sources/federation/planner/compileShaper.js';
import { readPlannedField } from '../../../../src/sources/federation/planner/createPlannedExecute.js';
import { FIELD_ERRORS } from '../../../../src/sources/federation/planner/executePlan.js';
import { CLIENT_TYPENAME_ALIAS, typeScopedAlias } from '../../../../src/sources/federation/planner/normalizeOperation.js';
import { conditionVariables } from '../../../../src/sources/federation/planner/normalizeOperation.js';

// A client schema as the planner executes it: no resolvers, abstract types resolved by __typename.
const schema = buildSchema(`
  scalar Json
  enum Kind { BOOK FILM }
  interface Item { id: ID! title: String }
  type Book implements Item { id: ID! title: String pages: Int kind: Kind }
  type Film implements Item { id: ID! title: String minutes: Float! }
  union Hit = Book | Film
  type Query {
    items: [Item!]!
    hits(first: Int!): [Hit]
    grid: [[Int!]]
    item(id: ID!): Item
    meta: Json
    count: Int!
  }
`);
for (const name of ['Item', 'Hit'] as const) {
  (schema.getType(name) as { resolveType?: unknown }).resolveType = (value: { __typename: string }) => value.__typename;
}

function both(query: string, data: Record<string | symbol, unknown>, variables: Record<string, unknown> = {}) {
  const document = parse(query);
  const operation = getOperationAST(document)!;
  const fragments = Object.fromEntries(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
  );
  const conditions = conditionVariables(document.definitions.flatMap((d) => ('selectionSet' in d ? [d.selectionSet] : [])));
  const shaper = compileShaper({ schema, operation, fragments, variables, conditions });
  // graphql-js over the merged data, exactly as createPlannedExecute runs it when it does not shape.
  const reference = execute({ schema, document, rootValue: data, variableValues: variables, fieldResolver: readPlannedField }) as { data?: unknown; errors?: unknown[] };
  return { shaper, shaped: shaper?.shape(data), reference };
}

const items = [
  { __typename: 'Book', id: 1, title: 'Dune', pages: 412, kind: 'BOOK' },
  { __typename: 'Film', id: 'f2', title: null, minutes: 155 },
];

describe('the compiled response shaper', () => {
  it('answers exactly what graphql-js answers over clean data: keys, order, aliases, __typename, fragments, skip/include, serialised leaves', () => {
    const cases: [string, Record<string | symbol, unknown>, Record<string, unknown>?][] = [
      ['{ items { __typename id title } }', { items }],
      ['{ items { id ... on Book { pages kind } ... on Film { minutes } } }', { items }],
      ['query { a: items { t: __typename x: id } count }', { a: items.map((item) => ({ ...item, x: item.id })), count: 3 }],
      ['{ hits(first: 2) { ... on Book { title } ...F } } fragment F on Film { minutes id }', { hits: [items[1], null, items[0]] }],
      ['query Q($more: Boolean!) { items { id title @include(if: $more) other: title @skip(if: $more) } }', { items }, { more: true }],
      ['query Q($more: Boolean!) { items { id title @include(if: $more) other: title @skip(if: $more) } }', { items }, { more: false }],
      ['{ grid meta }', { grid: [[1, 2], null, []], meta: { any: ['json', 1] } }],
      ['query Q($id: ID!) { item(id: $id) { id } }', { item: null }, { id: 'x' }],
      // A client alias `__typename` on another field was fetched under the internal alias.
      ['{ items { __typename: title } }', { items: [{ [CLIENT_TYPENAME_ALIAS]: 'Dune', __typename: 'Book' }] }],
      // A field typed differently in its subgraph came under a per-type alias.
      ['{ items { title } }', { items: [{ __typename: 'Book', [typeScopedAlias('Book', 'title')]: 'Emma' }] }],
    ];
    for (const [query, data, variables] of cases) {
      const { shaper, shaped, reference } = both(query, data, variables);
      expect(reference.errors, query).toBeUndefined();
      expect(shaper?.accepts(variables ?? {}), query).toBe(true);
      // JSON text, so the order of keys counts too.
      expect(JSON.stringify(shaped), query).toBe(JSON.stringify(reference.data));
    }
  });

  it('hands back every answer graphql-js would answer with an error, so graphql-js builds it', () => {
    const cases: [string, Record<string | symbol, unknown>][] = [
      ['{ count }', { count: null }], // null in a non-null field
      ['{ items { id } }', { items: [null] }], // null item of a non-null list
      ['{ items { ... on Film { minutes } } }', { items: [{ __typename: 'Film', minutes: null }] }],
      ['{ count }', { count: 'many' }], // not an Int
      ['{ count }', { count: 2 ** 40 }], // outside Int's range
      ['{ items { ... on Book { kind } } }', { items: [{ __typename: 'Book', kind: 'TAPE' }] }], // no such enum value
      ['{ items { id } }', { items: [{ __typename: 'Dvd', id: 1 }] }], // not a possible type
      ['{ items { id } }', { items: [{ id: 1 }] }], // no __typename
      ['{ grid }', { grid: [[1, null]] }],
      ['{ items { id } }', { items: { id: 1 } }], // not a list
      ['{ item(id: 1) { title } }', { item: { __typename: 'Book', [FIELD_ERRORS]: { title: new Error('down') } } }],
    ];
    for (const [query, data] of cases) {
      const { shaped, reference } = both(query, data);
      expect(reference.errors?.length, query).toBeGreaterThan(0);
      expect(shaped, query).toBe(NOT_SHAPED);
    }
  });

  it('leaves to graphql-js what it does not shape, and requests whose variables graphql-js would refuse', () => {
    expect(both('{ __schema { queryType { name } } }', {}).shaper).toBeUndefined();
    expect(both('{ __type(name: "Book") { name } }', {}).shaper).toBeUndefined();
    expect(both('{ __proto__: count }', { count: 1 }).shaper).toBeUndefined();
    const { shaper } = both('query Q($id: ID!, $on: Boolean) { item(id: $id) { id @include(if: $on) } }', { item: null }, { id: '1', on: true });
    expect(shaper?.accepts({ id: '1', on: true })).toBe(true);
    expect(shaper?.accepts({ id: '1', on: null })).toBe(false);
    expect(shaper?.accepts({ id: null, on: true })).toBe(false);
  });
});
