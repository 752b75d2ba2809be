import { parse, type ExecutionResult } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { entityAcrossSubgraphs, unionAcrossSubgraphs } from '../../../fixtures/federation/expectations.js';
import { startFederationFixture, type FederationFixture, type FederationScenario } from '../../../support/federationFixture.js';
import { federationGateway, type FederationGateway } from '../federationGateway.js';

// The planner must give exactly stitching's answers: each query below runs through both engines
// against the same real subgraphs, and the answers must be deep-equal, data and errors.
interface Case {
  name: string;
  query: string;
  variables?: Record<string, unknown>;
  /**
   * Only where stitching gets an error's path wrong: the path graphql-js gives (the planner's).
   * Stitching drops the list index of errors raised inside `_entities` for a list of entities
   * (["topProducts", "warehouse"] for the second product's field).
   */
  errorPaths?: (string | number)[][];
  /** Why the planner hands this one to stitching; absent: it must plan it. */
  fallback?: string;
}

const shopCases: Case[] = [
  { name: 'one entity across four subgraphs', query: entityAcrossSubgraphs.query },
  {
    name: 'one entity selection under two root fields, fetched once for both',
    query: '{ me { reviews { product { inStock name } } } topProducts { reviews { product { inStock name } } } }',
  },
  { name: '@requires fields below a nested entity', query: '{ topReviews { body product { name shippingEstimate } } }' },
  { name: '@provides, and a field it does not provide', query: '{ topReviews(first: 3) { author { username name } } }' },
  {
    name: 'named, inline and nested fragments, with __typename at every level',
    query: `
      query { __typename me { __typename ...Who ... on User { ... on User { name } } } }
      fragment Who on User { id reviews { __typename ...ReviewParts } }
      fragment ReviewParts on Review { body product { __typename ... on Product { name inStock } } }`,
  },
  {
    name: 'aliases, with one root field twice under different aliases and arguments',
    query: '{ cheap: topProducts(first: 1) { label: name stock: inStock } all: topProducts(first: 3) { label: upc stock: shippingEstimate } }',
  },
  {
    name: 'one entity field twice under different aliases and arguments, in an entity fetch',
    query: '{ product(upc: "p1") { one: reviews(first: 1) { body } both: reviews(first: 2) { body author { name } } } }',
  },
  {
    name: 'variable defaults, when the client sends none',
    query: 'query ($first: Int = 2, $upc: String! = "p3") { topProducts(first: $first) { upc } product(upc: $upc) { name inStock } }',
  },
  {
    name: 'variable defaults, overridden by the client',
    query: 'query ($first: Int = 2, $upc: String! = "p3") { topProducts(first: $first) { upc } product(upc: $upc) { name inStock } }',
    variables: { first: 1, upc: 'p2' },
  },
  {
    name: 'a client variable used inside an entity fetch',
    query: 'query ($n: Int) { topProducts { name reviews(first: $n) { body } } }',
    variables: { n: 1 },
  },
  {
    name: '@skip and @include from variables, both keeping their field',
    query: 'query ($stock: Boolean!, $hide: Boolean!) { topProducts { upc name @skip(if: $hide) ... @include(if: $stock) { inStock shippingEstimate } } }',
    variables: { stock: true, hide: false },
  },
  {
    name: '@skip and @include from variables, both dropping their field',
    query: 'query ($stock: Boolean!, $hide: Boolean!) { topProducts { upc name @skip(if: $hide) ... @include(if: $stock) { inStock shippingEstimate } } }',
    variables: { stock: false, hide: true },
  },
  {
    name: '@skip and @include on __typename, in a root and an entity fetch',
    query: 'query ($t: Boolean!) { me { __typename @include(if: $t) name reviews { kind: __typename @skip(if: $t) body } } }',
    variables: { t: true },
  },
  { name: 'a list of lists of entities, with an enum', query: '{ shelves { upc category inStock shippingEstimate reviews { body } } }' },
  {
    name: 'root fields that return no entity (null), next to one that does',
    query: '{ user(id: "nobody") { name reviews { body } } product(upc: "none") { name inStock } me { name } }',
  },
  {
    name: 'one field selected twice with different sub-selections',
    query: '{ me { name } me { reviews { body } } topReviews(first: 1) { product { upc } } topReviews(first: 1) { product { inStock } } }',
  },
  {
    name: 'deep nesting that goes back and forth between subgraphs',
    query: '{ topReviews(first: 2) { author { name reviews { product { name price reviews { author { username name } } } } } } }',
  },
  {
    name: 'mutations on two subgraphs, each completed by entity fetches',
    query: `mutation ($name: String!) {
      renamed: renameUser(id: "u2", name: $name) { name reviews { body product { inStock } } }
      draft: draftReview(upc: "p1", body: $name) { body author { username name } product { shippingEstimate } }
      again: renameUser(id: "u1", name: "Ada") { id name }
    }`,
    variables: { name: 'Turing' },
  },
  { name: 'an operation of only __typename', query: '{ __typename }' },
  {
    name: 'a nullable field failing inside _entities',
    query: '{ topProducts { upc warehouse } }',
    errorPaths: [['topProducts', 1, 'warehouse']],
  },
  {
    name: 'a non-null field failing inside _entities, under a nullable root field',
    query: '{ product(upc: "p2") { name stockCount } topProducts(first: 1) { upc } }',
  },
  {
    name: 'a non-null field failing deep inside _entities, nulling the nearest nullable ancestor',
    query: '{ me { name reviews { product { stockCount } } } topProducts(first: 1) { upc } }',
  },
  {
    name: 'a non-null field failing inside _entities with no nullable ancestor (data: null)',
    query: '{ topProducts { upc stockCount } }',
    errorPaths: [['topProducts', 1, 'stockCount']],
  },
];

const mediaCases: Case[] = [
  { name: 'a union whose members come from different subgraphs', query: unionAcrossSubgraphs.query },
  { name: 'a union with a fragment on one member only', query: '{ search(term: "planet") { ... on Book { title author } } }' },
  {
    name: 'a named fragment with a nested fragment on a union member',
    query: '{ search(term: "ocean") { ...Book ... on Person { __typename name } } } fragment Book on Book { id ... on Book { author } }',
  },
  {
    name: 'one union field twice under aliases with different arguments',
    query: '{ a: search(term: "desert") { ... on Book { title } } b: search(term: "aliens") { __typename ... on Movie { director title } } }',
  },
  { name: 'an empty list of union members', query: '{ search(term: "nothing") { __typename } }' },
  {
    name: '@include on a union member fragment, and a variable default',
    query: 'query ($term: String = "planet", $people: Boolean!) { search(term: $term) { __typename ... on Person @include(if: $people) { name } ... on Movie { title } } }',
    variables: { people: false },
  },
  { name: 'a fragment on an interface inside a union', query: '{ search(term: "planet") { ... on Media { id title } } }' },
  { name: 'an entity interface completed through @interfaceObject', query: '{ media { __typename id title stars } }' },
];

const ordersCases: Case[] = [
  {
    name: 'one subgraph, entities nested in entities, with __typename',
    query: '{ __typename orders { __typename id total buyer { __typename id orders { id total } } } }',
  },
  {
    name: '@include with a variable default',
    query: 'query ($buyer: Boolean = false) { orders { id buyer @include(if: $buyer) { id } } }',
  },
];

/** What a client can rely on in an answer. `locations` is left out: stitching drops it for errors from subgraphs. */
function comparable(result: ExecutionResult) {
  return {
    data: result.data,
    errors: result.errors?.map((error) => ({ message: error.message, path: error.path, extensions: error.extensions })),
  };
}

interface Engines {
  stitching: FederationGateway;
  planner: FederationGateway;
}

// One fixture per scenario for the whole file, started side by side.
const fixtures: FederationFixture[] = [];
const engines = new Map<FederationScenario, Engines>();
beforeAll(async () => {
  await Promise.all(
    (['shop', 'media', 'orders'] as const).map(async (scenario) => {
      const fixture = await startFederationFixture(scenario);
      fixtures.push(fixture);
      engines.set(scenario, {
        stitching: federationGateway(fixture.supergraphSdl, 'stitching'),
        planner: federationGateway(fixture.supergraphSdl, 'planner'),
      });
    }),
  );
});
afterAll(async () => {
  for (const { stitching, planner } of engines.values()) await Promise.all([stitching.close(), planner.close()]);
  await Promise.all(fixtures.map((fixture) => fixture.stop()));
});

function enginesFor(scenario: FederationScenario): Engines {
  const found = engines.get(scenario);
  if (!found) throw new Error(`no gateways for ${scenario}`);
  return found;
}

describe.each([
  ['shop', shopCases],
  ['media', mediaCases],
  ['orders', ordersCases],
] as [FederationScenario, Case[]][])('the planner answers as stitching does (%s)', (scenario, cases) => {
  it.each(cases)('$name', async ({ query, variables, errorPaths, fallback }) => {
    const { stitching, planner } = enginesFor(scenario);
    const expected = await stitching.run(query, variables);
    planner.fallbacks.length = 0;
    const actual = await planner.run(query, variables);

    const want = comparable(expected.result);
    if (errorPaths) {
      // Once stitching gets these paths right, drop errorPaths from the case.
      expect(want.errors?.map((error) => error.path)).not.toEqual(errorPaths);
      want.errors = want.errors?.map((error, index) => ({ ...error, path: errorPaths[index] }));
    }
    expect(comparable(actual.result)).toEqual(want);
    expect(planner.fallbacks).toEqual(fallback ? [fallback] : []);
    // Planning exists to save requests: never more per subgraph than stitching sends.
    for (const [subgraph, count] of Object.entries(actual.calls)) {
      expect(count, subgraph).toBeLessThanOrEqual(expected.calls[subgraph] ?? 0);
    }
  });
});

describe('the planner on the shop supergraph, beyond single answers', () => {
  it('plans one document anew for other @skip/@include values, and reuses the plan for the same ones', async () => {
    const { stitching, planner } = enginesFor('shop');
    planner.fallbacks.length = 0;
    // One DocumentNode, as a server's document cache hands it over: plans are cached by it.
    const document = parse('query ($stock: Boolean!) { topProducts(first: 2) { upc ... @include(if: $stock) { inStock } } }');
    const answers = [];
    for (const stock of [true, false, true, false]) {
      const { result } = await planner.run(document, { stock });
      expect(result).toEqual((await stitching.run(document, { stock })).result);
      answers.push(result);
    }
    expect(answers).toEqual([
      { data: { topProducts: [{ upc: 'p1', inStock: true }, { upc: 'p2', inStock: false }] } },
      { data: { topProducts: [{ upc: 'p1' }, { upc: 'p2' }] } },
      { data: { topProducts: [{ upc: 'p1', inStock: true }, { upc: 'p2', inStock: false }] } },
      { data: { topProducts: [{ upc: 'p1' }, { upc: 'p2' }] } },
    ]);
    expect(planner.fallbacks).toEqual([]);
  });

  it('answers a client alias that reuses a key field\'s name (id: name), which stitching sends on as a conflict', async () => {
    const { planner } = enginesFor('shop');
    planner.fallbacks.length = 0;
    // Stitching adds `id` for the jump to reviews next to the client's `id: name`, and the
    // subgraph refuses the conflicting fields; the planner's key goes under an internal alias.
    const { result } = await planner.run('{ me { id: name reviews { id: body } } }');
    expect(result).toEqual({
      data: { me: { id: 'Ada Lovelace', reviews: [{ id: 'Love it!' }, { id: 'Too expensive.' }] } },
    });
    expect(planner.fallbacks).toEqual([]);
  });
});
