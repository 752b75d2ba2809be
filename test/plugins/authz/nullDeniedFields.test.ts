import { buildSchema, getOperationAST, parse, print, type FieldNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { collectFieldPolicy } from '../../../src/plugins/authz/collectFieldPolicy.js';
import { compileFieldRules } from '../../../src/plugins/authz/compileFieldRules.js';
import { AUTHENTICATED, checkRule } from '../../../src/plugins/authz/fieldRule.js';
import { deniedPathsOf, guardedFieldsOf } from '../../../src/plugins/authz/guardedFields.js';
import { certainlyNulledFields, placeDeniedNulls, pruneDocument } from '../../../src/plugins/authz/nullDeniedFields.js';
import { policyDirectiveDefinitions } from '../../../src/plugins/authz/policyDirectives.js';

const sdl = `${policyDirectiveDefinitions}
  interface Item @public { id: ID! }
  type Book implements Item @public { id: ID! title: String isbn: String @auth }
  type Film implements Item @public { id: ID! title: String! rating: Int @auth }
  type Shelf @public { name: String items: [Item!]! owner: Person secret: String! @auth }
  type Person @public { name: String email: String @auth }
  type Query @public { shelves: [Shelf!]! shelf: Shelf }
`;
const schema = buildSchema(sdl);
const rules = compileFieldRules(schema, collectFieldPolicy([{ origin: 'test', sdl }]), AUTHENTICATED);
const anonymous = { kind: 'anonymous', subject: '', scopes: [], roles: [] } as const;

/** The denied nodes of a document for an anonymous caller, as the plugin computes them. */
function deny(query: string) {
  const document = parse(query);
  const operation = getOperationAST(document)!;
  const denied = new Map<FieldNode, string>();
  for (const field of guardedFieldsOf(schema, document, operation, rules)) {
    if (checkRule(field.rule, anonymous)) denied.set(field.node, field.coordinate);
  }
  return { document, operation, denied };
}

describe('finding the fields a caller may not read', () => {
  it('visits each fragment once and reports every path the denied field is reached by', () => {
    const { document, operation, denied } = deny(`
      { a: shelf { ...S } b: shelf { ...S owner { name } } }
      fragment S on Shelf { name owner { contact: email } }
    `);
    expect([...denied.values()]).toEqual(['Person.email']);
    expect(deniedPathsOf(document, operation, new Set(denied.keys())).map((entry) => entry.path)).toEqual([
      ['a', 'owner', 'contact'],
      ['b', 'owner', 'contact'],
    ]);
  });

  it('ignores fields of operations that are not executed and fragments no one spreads', () => {
    const document = parse(`query A { shelf { name } } query B { shelf { secret } } fragment F on Person { email }`);
    const operation = getOperationAST(document, 'A')!;
    expect(guardedFieldsOf(schema, document, operation, rules)).toEqual([]);
  });
});

describe('null mode', () => {
  it('cuts denied fields from the document, keeping every selection set valid', () => {
    const { document, denied } = deny('{ shelf { owner { email } items { id ... on Book { isbn } } } }');
    const pruned = print(pruneDocument(schema, document, new Set(denied.keys())));
    expect(pruned).not.toContain('email');
    expect(pruned).not.toContain('isbn');
    // owner keeps a selection; the interface list asks for the concrete type under an alias.
    expect(pruned).toMatch(/owner \{\s+__typename\s+\}/);
    expect(pruned).toMatch(/_porticoTypename: __typename/);
  });

  it('puts denied fields back as nulls at their exact paths, only on objects of their type', () => {
    const { document, operation, denied } = deny('{ shelves { name items { id ... on Book { isbn } ... on Film { rating } } } }');
    const executed = {
      shelves: [
        { name: 's1', items: [{ id: 'b1', _porticoTypename: 'Book' }, { id: 'f1', _porticoTypename: 'Film' }] },
        { name: 's2', items: [{ id: 'b2', _porticoTypename: 'Book' }] },
      ],
    };
    const { data, placed } = placeDeniedNulls({ schema, document, operation, data: executed, denied, variables: {} });
    expect(data).toEqual({
      shelves: [
        { name: 's1', items: [{ id: 'b1', isbn: null }, { id: 'f1', rating: null }] },
        { name: 's2', items: [{ id: 'b2', isbn: null }] },
      ],
    });
    expect(placed.map((entry) => [entry.coordinate, entry.path])).toEqual([
      ['Book.isbn', ['shelves', 0, 'items', 0, 'isbn']],
      ['Film.rating', ['shelves', 0, 'items', 1, 'rating']],
      ['Book.isbn', ['shelves', 1, 'items', 0, 'isbn']],
    ]);
  });

  it('nulls the nearest nullable ancestor of a denied non-null field, as GraphQL does', () => {
    const { document, operation, denied } = deny('{ shelf { name secret } shelves { name secret } }');
    const executed = { shelf: { name: 'x' }, shelves: [{ name: 'y' }] };
    const { data, placed } = placeDeniedNulls({ schema, document, operation, data: executed, denied, variables: {} });
    // Shelf.secret is String!: shelf (nullable) becomes null; shelves is [Shelf!]!, so the null
    // reaches the root and the whole data is null.
    expect(data).toBeNull();
    expect(placed.map((entry) => entry.path)).toEqual([['shelf', 'secret'], ['shelves', 0, 'secret']]);
  });

  it('keeps the client key order and places nothing a directive left out', () => {
    const { document, operation, denied } = deny('query ($show: Boolean!) { shelf { owner { email @include(if: $show) name } } }');
    const run = (show: boolean, owner: Record<string, unknown>) =>
      placeDeniedNulls({ schema, document, operation, data: { shelf: { owner } }, denied, variables: { show } });
    const shown = run(true, { name: 'n' });
    expect(Object.keys((shown.data!.shelf as { owner: object }).owner)).toEqual(['email', 'name']);
    expect(shown.placed).toHaveLength(1);
    const hidden = run(false, { name: 'n' });
    expect(hidden.data).toEqual({ shelf: { owner: { name: 'n' } } });
    expect(hidden.placed).toHaveLength(0);
  });
});

describe('fields certain to come back null', () => {
  const nulledOf = (query: string, variables: Record<string, unknown> = {}) => {
    const { document, denied } = deny(query);
    return [...certainlyNulledFields({ schema, document, denied: new Set(denied.keys()), variables })].map((node) => node.alias?.value ?? node.name.value);
  };

  it('names a single object with a denied non-null field, through fragments, but not a list of them', () => {
    expect(nulledOf('{ shelf { name secret } }')).toEqual(['shelf']);
    expect(nulledOf('{ s: shelf { ...F } } fragment F on Shelf { secret }')).toEqual(['s']);
    // Each shelf of a list would be nulled by the source's answer, item by item: fetched.
    expect(nulledOf('{ shelves { secret } }')).toEqual([]);
    // A denied nullable field nulls only itself.
    expect(nulledOf('{ shelf { owner { email } } }')).toEqual([]);
  });

  it('is not certain of a field the variables may leave out', () => {
    expect(nulledOf('query ($x: Boolean!) { shelf { secret @include(if: $x) } }', { x: false })).toEqual([]);
    expect(nulledOf('query ($x: Boolean!) { shelf { secret @include(if: $x) } }', { x: true })).toEqual(['shelf']);
  });

  it('puts the errors of an unfetched object at its denied fields’ paths', () => {
    const { document, operation, denied } = deny('{ shelf { name secret } }');
    const nulled = certainlyNulledFields({ schema, document, denied: new Set(denied.keys()), variables: {} });
    const { data, placed } = placeDeniedNulls({ schema, document, operation, data: {}, denied, variables: {}, nulled });
    expect(data).toEqual({ shelf: null });
    expect(placed.map((entry) => [entry.coordinate, entry.path])).toEqual([['Shelf.secret', ['shelf', 'secret']]]);
  });
});
