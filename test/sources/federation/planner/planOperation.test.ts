import { readFileSync } from 'node:fs';
import { Kind, parse, print, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { composeSupergraph } from '../../../../src/sources/federation/composeSupergraph.js';
import { NotPlannable } from '../../../../src/sources/federation/planner/normalizeOperation.js';
import { planOperation, type FetchNode, type QueryPlan } from '../../../../src/sources/federation/planner/planOperation.js';
import { readSupergraphModel, type SupergraphModel } from '../../../../src/sources/federation/planner/supergraphModel.js';
import { federationLink } from '../../../fixtures/federation/fixtureSubgraph.js';
import { committedSupergraphPath } from '../../../support/federationFixture.js';

// The pure planner over the committed fixture supergraphs (test/fixtures/federation/*): no
// network, so each plan below can be checked by hand against the fixtures' SDL.
const models = {
  shop: modelOf(readFileSync(committedSupergraphPath('shop'), 'utf8')),
  media: modelOf(readFileSync(committedSupergraphPath('media'), 'utf8')),
};

function modelOf(supergraphSdl: string): SupergraphModel {
  return readSupergraphModel(parse(supergraphSdl, { noLocation: true }));
}

function planOf(model: SupergraphModel, source: string, variables: Record<string, unknown> = {}): QueryPlan {
  const document = parse(source, { noLocation: true });
  const fragments = new Map<string, FragmentDefinitionNode>();
  let operation: OperationDefinitionNode | undefined;
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
    if (definition.kind === Kind.OPERATION_DEFINITION) operation ??= definition;
  }
  if (!operation) throw new Error('no operation in the test query');
  return planOperation({ model, operation, fragments, variables });
}

/** A fetch as a reader checks it: where it goes, what it sends, where its answer lands, after what. */
function shapeOf(fetch: FetchNode) {
  return {
    id: fetch.id,
    subgraph: fetch.subgraph,
    kind: fetch.kind,
    ...(fetch.kind === 'entity' ? { typeName: fetch.typeName, paths: fetch.paths } : {}),
    deps: fetch.deps.map((dep) => dep.id),
    variables: fetch.variableNames,
    document: print(fetch.document),
  };
}

function stepsOf(plan: QueryPlan) {
  return plan.steps.map((step) => step.map(shapeOf));
}

/** The expected document, printed the way the planner's is. */
function graphql(source: string): string {
  return print(parse(source, { noLocation: true }));
}

function reasonNotPlanned(model: SupergraphModel, source: string, variables: Record<string, unknown> = {}): string {
  try {
    planOf(model, source, variables);
  } catch (error) {
    if (error instanceof NotPlannable) return error.message;
    throw error;
  }
  throw new Error(`planned, though expected to be left to stitching: ${source}`);
}

describe('planOperation (shop: accounts, products, reviews, inventory)', () => {
  it('sends one fetch per subgraph hop: accounts, then reviews, then products and inventory', () => {
    const plan = planOf(models.shop, '{ me { name reviews { body product { name price inStock } } } }');
    expect(stepsOf(plan)).toEqual([
      [
        {
          id: 0,
          subgraph: 'accounts',
          kind: 'root',
          deps: [],
          variables: [],
          // The key (id) goes under an internal alias, so it can never collide with a client field.
          document: graphql('{ me { name __typename __pq_id: id } }'),
        },
        {
          id: 1,
          subgraph: 'reviews',
          kind: 'entity',
          typeName: 'User',
          paths: [['me']],
          deps: [0],
          variables: [],
          // Product.name is @shareable: reviews answers it while it holds the product anyway.
          document: graphql(`query ($representations: [_Any!]!) {
            _entities(representations: $representations) {
              ... on User { reviews { body product { name __typename __pq_upc: upc } } }
            }
          }`),
        },
        {
          id: 2,
          subgraph: 'products',
          kind: 'entity',
          typeName: 'Product',
          paths: [['me', 'reviews', 'product']],
          deps: [1],
          variables: [],
          document: graphql(`query ($representations: [_Any!]!) {
            _entities(representations: $representations) { ... on Product { price } }
          }`),
        },
        {
          id: 3,
          subgraph: 'inventory',
          kind: 'entity',
          typeName: 'Product',
          paths: [['me', 'reviews', 'product']],
          deps: [1],
          variables: [],
          // inStock is @override(from: "products"): inventory answers it, not products.
          document: graphql(`query ($representations: [_Any!]!) {
            _entities(representations: $representations) { ... on Product { inStock } }
          }`),
        },
      ],
    ]);
  });

  it('keeps a @provides field in the providing subgraph: review authors\' usernames cost no call to accounts', () => {
    const plan = planOf(models.shop, '{ topReviews { author { username } } }');
    expect(stepsOf(plan)).toEqual([
      [{ id: 0, subgraph: 'reviews', kind: 'root', deps: [], variables: [], document: graphql('{ topReviews { author { username } } }') }],
    ]);
  });

  it('jumps to the owner for what @provides does not cover (name), keyed by a field reviews has (id)', () => {
    const [step] = stepsOf(planOf(models.shop, '{ topReviews { author { username name } } }'));
    expect(step?.map((fetch) => [fetch.subgraph, fetch.document])).toEqual([
      ['reviews', graphql('{ topReviews { author { username __typename __pq_id: id } } }')],
      [
        'accounts',
        graphql('query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { name } } }'),
      ],
    ]);
  });

  it('fetches @requires fields (price, weight) first and sends them in the representation of the requiring fetch', () => {
    const plan = planOf(models.shop, '{ topReviews { product { shippingEstimate } } }');
    expect(stepsOf(plan)).toEqual([
      [
        {
          id: 0,
          subgraph: 'reviews',
          kind: 'root',
          deps: [],
          variables: [],
          document: graphql('{ topReviews { product { __typename __pq_upc: upc } } }'),
        },
        {
          id: 1,
          subgraph: 'inventory',
          kind: 'entity',
          typeName: 'Product',
          paths: [['topReviews', 'product']],
          // After products (2), which supplies price and weight, as well as after reviews (the key).
          deps: [0, 2],
          variables: [],
          document: graphql(`query ($representations: [_Any!]!) {
            _entities(representations: $representations) { ... on Product { shippingEstimate } }
          }`),
        },
        {
          id: 2,
          subgraph: 'products',
          kind: 'entity',
          typeName: 'Product',
          paths: [['topReviews', 'product']],
          deps: [0],
          variables: [],
          document: graphql(`query ($representations: [_Any!]!) {
            _entities(representations: $representations) { ... on Product { __pq_price: price __pq_weight: weight } }
          }`),
        },
      ],
    ]);
    const inventory = plan.steps[0]?.find((fetch) => fetch.subgraph === 'inventory');
    expect(inventory?.representation).toEqual([
      { name: 'upc', from: '__pq_upc', key: true },
      { name: 'price', from: '__pq_price' },
      { name: 'weight', from: '__pq_weight' },
    ]);
  });

  it('takes @requires fields from the fetch that already holds the entity when that subgraph has them', () => {
    const plan = planOf(models.shop, '{ topProducts { upc shippingEstimate } }');
    expect(stepsOf(plan)).toEqual([
      [
        {
          id: 0,
          subgraph: 'products',
          kind: 'root',
          deps: [],
          variables: [],
          document: graphql('{ topProducts { upc __pq_price: price __pq_weight: weight __typename __pq_upc: upc } }'),
        },
        {
          id: 1,
          subgraph: 'inventory',
          kind: 'entity',
          typeName: 'Product',
          paths: [['topProducts']],
          deps: [0],
          variables: [],
          document: graphql(`query ($representations: [_Any!]!) {
            _entities(representations: $representations) { ... on Product { shippingEstimate } }
          }`),
        },
      ],
    ]);
  });

  it('merges identical entity fetches wanted at several paths into one fetch over all of them', () => {
    const plan = planOf(models.shop, '{ topReviews { product { inStock } author { reviews { product { inStock } } } } }');
    const [root, inventory, ...others] = plan.steps[0]!;
    expect(others).toEqual([]);
    expect(root?.subgraph).toBe('reviews');
    expect(inventory && shapeOf(inventory)).toEqual({
      id: 1,
      subgraph: 'inventory',
      kind: 'entity',
      typeName: 'Product',
      paths: [['topReviews', 'product'], ['topReviews', 'author', 'reviews', 'product']],
      deps: [0],
      variables: [],
      document: graphql('query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { inStock } } }'),
    });
  });

  it('merges one selection wanted under two root fields at the same depth into one fetch after both parents', () => {
    const plan = planOf(models.shop, '{ me { reviews { product { inStock } } } topProducts { reviews { product { inStock } } } }');
    const inventory = plan.steps[0]!.filter((fetch) => fetch.subgraph === 'inventory').map(shapeOf);
    const parents = plan.steps[0]!.filter((fetch) => fetch.subgraph === 'reviews').map((fetch) => fetch.id);
    expect(parents).toHaveLength(2);
    expect(inventory).toEqual([
      {
        id: expect.any(Number),
        subgraph: 'inventory',
        kind: 'entity',
        typeName: 'Product',
        paths: [['me', 'reviews', 'product'], ['topProducts', 'reviews', 'product']],
        deps: parents,
        variables: [],
        document: graphql('query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { inStock } } }'),
      },
    ]);
  });

  it('keeps apart equal selections at different depths: a shallow fetch never waits for a deeper branch', () => {
    const plan = planOf(models.shop, '{ topReviews { product { inStock } } me { reviews { product { inStock } } } }');
    const inventory = plan.steps[0]!.filter((fetch) => fetch.subgraph === 'inventory');
    expect(inventory.map((fetch) => fetch.paths)).toEqual([[['topReviews', 'product']], [['me', 'reviews', 'product']]]);
  });

  it('runs mutation fields in the client\'s order: one step per run of fields on the same subgraph', () => {
    const plan = planOf(
      models.shop,
      `mutation Rename {
        first: renameUser(id: "u1", name: "A") { name }
        again: renameUser(id: "u2", name: "B") { reviews { body } }
        draft: draftReview(upc: "p1", body: "Solid") { product { inStock } }
        last: renameUser(id: "u1", name: "C") { id }
      }`,
    );
    expect(stepsOf(plan)).toEqual([
      [
        {
          id: 0,
          subgraph: 'accounts',
          kind: 'root',
          deps: [],
          variables: [],
          document: graphql(`mutation Rename__accounts__0 {
            first: renameUser(id: "u1", name: "A") { name }
            again: renameUser(id: "u2", name: "B") { __typename __pq_id: id }
          }`),
        },
        {
          id: 3,
          subgraph: 'reviews',
          kind: 'entity',
          typeName: 'User',
          paths: [['again']],
          deps: [0],
          variables: [],
          // Entity fetches are queries, whatever the client's operation.
          document: graphql(`query Rename__reviews__3($representations: [_Any!]!) {
            _entities(representations: $representations) { ... on User { reviews { body } } }
          }`),
        },
      ],
      [
        {
          id: 1,
          subgraph: 'reviews',
          kind: 'root',
          deps: [],
          variables: [],
          document: graphql('mutation Rename__reviews__1 { draft: draftReview(upc: "p1", body: "Solid") { product { __typename __pq_upc: upc } } }'),
        },
        {
          id: 4,
          subgraph: 'inventory',
          kind: 'entity',
          typeName: 'Product',
          paths: [['draft', 'product']],
          deps: [1],
          variables: [],
          document: graphql(`query Rename__inventory__4($representations: [_Any!]!) {
            _entities(representations: $representations) { ... on Product { inStock } }
          }`),
        },
      ],
      [
        {
          id: 2,
          subgraph: 'accounts',
          kind: 'root',
          deps: [],
          variables: [],
          document: graphql('mutation Rename__accounts__2 { last: renameUser(id: "u1", name: "C") { id } }'),
        },
      ],
    ]);
  });

  it('decides @skip and @include from the variables: a skipped field costs no fetch and is not sent', () => {
    const query = `query ($withStock: Boolean!, $noName: Boolean!) {
      topProducts { upc name @skip(if: $noName) ... @include(if: $withStock) { inStock } }
    }`;
    const without = planOf(models.shop, query, { withStock: false, noName: true });
    expect(stepsOf(without)).toEqual([
      [{ id: 0, subgraph: 'products', kind: 'root', deps: [], variables: [], document: graphql('{ topProducts { upc } }') }],
    ]);
    const withAll = planOf(models.shop, query, { withStock: true, noName: false });
    expect(withAll.steps[0]?.map((fetch) => [fetch.subgraph, print(fetch.document)])).toEqual([
      ['products', graphql('{ topProducts { upc name __typename __pq_upc: upc } }')],
      ['inventory', graphql('query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { inStock } } }')],
    ]);
  });

  it('sends __typename without its @skip/@include, whose variable the fetch does not declare', () => {
    const plan = planOf(models.shop, 'query ($t: Boolean!) { me { __typename @include(if: $t) name } }', { t: true });
    expect(stepsOf(plan)).toEqual([
      [{ id: 0, subgraph: 'accounts', kind: 'root', deps: [], variables: [], document: graphql('{ me { __typename name } }') }],
    ]);
  });

  it('keeps client aliases in every fetch, so the same field twice with different arguments stays apart', () => {
    const plan = planOf(
      models.shop,
      '{ cheap: topProducts(first: 1) { label: name stock: inStock } all: topProducts(first: 3) { label: upc stock: shippingEstimate } }',
    );
    const [products, cheapStock, allStock] = plan.steps[0]!.map(shapeOf);
    expect(products?.document).toBe(
      graphql(`{
        cheap: topProducts(first: 1) { label: name __typename __pq_upc: upc }
        all: topProducts(first: 3) { label: upc __pq_price: price __pq_weight: weight __typename __pq_upc: upc }
      }`),
    );
    expect([cheapStock?.paths, cheapStock?.document]).toEqual([
      [['cheap']],
      graphql('query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { stock: inStock } } }'),
    ]);
    expect([allStock?.paths, allStock?.document]).toEqual([
      [['all']],
      graphql('query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Product { stock: shippingEstimate } } }'),
    ]);
  });

  it('declares each client variable in every fetch that uses it, and only there, defaults included', () => {
    const plan = planOf(
      models.shop,
      'query Shelf($first: Int = 2, $n: Int, $upc: String!) { topProducts(first: $first) { reviews(first: $n) { body } } product(upc: $upc) { reviews(first: $n) { id } } }',
    );
    expect(plan.steps[0]?.map((fetch) => [fetch.subgraph, fetch.variableNames, print(fetch.document)])).toEqual([
      [
        'products',
        ['first', 'upc'],
        graphql(`query Shelf__products__0($first: Int = 2, $upc: String!) {
          topProducts(first: $first) { __typename __pq_upc: upc }
          product(upc: $upc) { __typename __pq_upc: upc }
        }`),
      ],
      [
        'reviews',
        ['n'],
        graphql(`query Shelf__reviews__1($representations: [_Any!]!, $n: Int) {
          _entities(representations: $representations) { ... on Product { reviews(first: $n) { body } } }
        }`),
      ],
      [
        'reviews',
        ['n'],
        graphql(`query Shelf__reviews__2($representations: [_Any!]!, $n: Int) {
          _entities(representations: $representations) { ... on Product { reviews(first: $n) { id } } }
        }`),
      ],
    ]);
  });

  it('folds named, inline and nested fragments into their parent and keeps every __typename asked for', () => {
    const plan = planOf(
      models.shop,
      `{ __typename me { __typename ...Who ... on User { ... on User { name } } } }
       fragment Who on User { id reviews { __typename body } }`,
    );
    expect(plan.steps[0]?.map((fetch) => [fetch.subgraph, print(fetch.document)])).toEqual([
      // The root __typename is the gateway's to answer.
      ['accounts', graphql('{ me { __typename id name __pq_id: id } }')],
      [
        'reviews',
        graphql('query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on User { reviews { __typename body } } } }'),
      ],
    ]);
  });

  it('plans an operation of only __typename as no fetch at all', () => {
    expect(planOf(models.shop, '{ __typename }').steps).toEqual([]);
  });
});

describe('planOperation (media: an entity interface, @interfaceObject, a union)', () => {
  it('sends each union member only the fragments possible in the subgraph, and jumps per member type', () => {
    const plan = planOf(models.media, '{ search(term: "planet") { __typename ... on Book { title } ... on Person { name } } }');
    expect(stepsOf(plan)).toEqual([
      [
        {
          id: 0,
          subgraph: 'search',
          kind: 'root',
          deps: [],
          variables: [],
          document: graphql('{ search(term: "planet") { __typename ... on Book { __typename __pq_id: id } ... on Person { name } } }'),
        },
        {
          id: 1,
          subgraph: 'catalogue',
          kind: 'entity',
          typeName: 'Book',
          paths: [['search']],
          deps: [0],
          variables: [],
          document: graphql('query ($representations: [_Any!]!) { _entities(representations: $representations) { ... on Book { title } } }'),
        },
      ],
    ]);
  });
});

describe('planOperation on entity interfaces and @interfaceObject', () => {
  const entityInterface = modelOf(
    composeSupergraph([
      {
        name: 'posts',
        url: 'http://posts.fixture.invalid/graphql',
        sdl: `${federationLink(['@key'])}
          type Query { nodes: [Node!]! }
          interface Node @key(fields: "id") { id: ID! }
          type Post implements Node @key(fields: "id") { id: ID! title: String! }`,
      },
    ]),
  );

  /** Each fetch as (subgraph, entity type, types collected): enough to see who is asked what. */
  const route = (model: SupergraphModel, query: string) =>
    stepsOf(planOf(model, query)).flat().map(({ subgraph, kind, ...rest }) => ({
      subgraph,
      kind,
      ...(kind === 'entity' ? { typeName: (rest as { typeName: string }).typeName } : {}),
    }));

  it('plans an entity interface in its one subgraph', () => {
    expect(route(entityInterface, '{ nodes { id ... on Post { title } } }')).toEqual([{ subgraph: 'posts', kind: 'root' }]);
  });

  it('asks the entity interface subgraph for the types of @interfaceObject objects, with the interface as __typename', () => {
    const plan = planOf(models.media, '{ topRated { id stars } }');
    expect(route(models.media, '{ topRated { id stars } }')).toEqual([
      { subgraph: 'ratings', kind: 'root' },
      { subgraph: 'catalogue', kind: 'entity', typeName: 'Media' },
    ]);
    // Every object there is a Media: collected whatever its (unknown) type.
    expect(plan.steps[0]![1]!.collect).toBeUndefined();
  });

  it('asks the @interfaceObject subgraph for a field it adds to an object, collecting that object type', () => {
    const plan = planOf(models.media, '{ search(term: "ocean") { ... on Book { stars } } }');
    expect(route(models.media, '{ search(term: "ocean") { ... on Book { stars } } }')).toEqual([
      { subgraph: 'search', kind: 'root' },
      { subgraph: 'ratings', kind: 'entity', typeName: 'Media' },
    ]);
    expect(plan.steps[0]![1]!.collect).toEqual(['Book']);
  });
});

describe('planOperation on a subscription (issue 19)', () => {
  const live = modelOf(
    composeSupergraph([
      {
        name: 'orders',
        url: 'http://orders.fixture.invalid/graphql',
        sdl: `${federationLink(['@key'])}
          type Query { order(id: ID!): Order }
          type Order @key(fields: "id") { id: ID! status: String! }
          type Subscription { orderChanged(id: ID!): Order! }`,
      },
      {
        name: 'shipping',
        url: 'http://shipping.fixture.invalid/graphql',
        sdl: `${federationLink(['@key'])}
          type Query { carriers: [String!]! }
          type Order @key(fields: "id") { id: ID! eta: String }`,
      },
    ]),
  );

  it('makes the root field a subscription fetch, the plan\'s first step, with the entity fetches below it', () => {
    const plan = planOf(live, 'subscription ($id: ID!) { orderChanged(id: $id) { status eta } }');
    expect(plan.steps).toHaveLength(1);
    const [root, entity] = plan.steps[0]!;
    expect(root!.kind).toBe('root');
    expect(root!.operationType).toBe('subscription');
    expect(root!.subgraph).toBe('orders');
    expect(print(root!.document)).toBe(graphql('subscription ($id: ID!) { orderChanged(id: $id) { status __typename __pq_id: id } }'));
    expect(entity).toMatchObject({ kind: 'entity', subgraph: 'shipping', typeName: 'Order', operationType: 'query', paths: [['orderChanged']] });
    expect(entity!.deps).toEqual([root]);
  });

  it('leaves a subscription without exactly one root field to stitching (validation refuses it anyway)', () => {
    expect(reasonNotPlanned(live, 'subscription { a: orderChanged(id: "1") { id } b: orderChanged(id: "2") { id } }')).toBe('subscription without exactly one root field');
  });
});

describe('planOperation leaves to stitching (NotPlannable) what it does not support', () => {
  it.each([
    ['@defer', models.shop, '{ me { ... @defer { name } } }', '@defer'],
    ['an unknown directive', models.shop, '{ me { name @lowercase } }', '@lowercase'],
    ['introspection (__schema)', models.shop, '{ __schema { queryType { name } } }', 'introspection'],
    ['introspection (__type) next to planned fields', models.shop, '{ me { name } __type(name: "User") { name } }', 'introspection'],
    ['a client alias with the planner\'s internal prefix', models.shop, '{ me { __pq_id: name reviews { body } } }', 'alias __pq_id'],
    ['a client variable named $representations', models.shop, 'query ($representations: Int) { topProducts(first: $representations) { upc } }', 'a client variable named $representations'],
  ])('%s', (_what, model, query, reason) => {
    expect(reasonNotPlanned(model, query)).toBe(reason);
  });

  it('a @skip whose variable has no boolean value (graphql-js reports it with its own error)', () => {
    expect(reasonNotPlanned(models.shop, 'query ($s: Boolean) { me @skip(if: $s) { name } }')).toBe('@skip without a boolean');
  });
});
