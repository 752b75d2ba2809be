import { readFileSync } from 'node:fs';
import { Kind, parse, print, visit, type DefinitionNode, type ObjectTypeDefinitionNode } from 'graphql';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSubgraph, type SubgraphHandle } from '../support/subgraphs.js';

let orders: SubgraphHandle;
let products: SubgraphHandle;
beforeAll(async () => {
  [orders, products] = await Promise.all([startSubgraph('orders'), startSubgraph('products')]);
});
afterAll(() => Promise.all([orders.release(), products.release()]));
beforeEach(() => orders.reset());

async function query<T = any>(source: string, variables?: Record<string, unknown>): Promise<T> {
  const response = await fetch(orders.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query: source, variables }),
  });
  const body = (await response.json()) as { data: T; errors?: unknown };
  expect(body.errors).toBeUndefined();
  return body.data;
}

/**
 * Named definitions printed alike whatever the source's layout (the subgraph prints descriptions
 * as block strings), without the `_entities`/`_service` fields federation adds to Query.
 */
function namedDefinitions(sdl: string): Map<string, string> {
  const byName = new Map<string, string>();
  for (const definition of parse(sdl).definitions) {
    if (!('name' in definition) || !definition.name) continue;
    const normalised: DefinitionNode = visit(definition, {
      StringValue: (node) => ({ ...node, block: false }),
      FieldDefinition: (node) => (node.name.value.startsWith('_') ? null : undefined),
    });
    byName.set(definition.name.value, print(normalised));
  }
  return byName;
}

describe('orders subgraph (Apollo Federation v2)', () => {
  it('serves _service.sdl with the types of schemas/orders.graphql and their @key directives', async () => {
    const { _service } = await query<{ _service: { sdl: string } }>(`{ _service { sdl } }`);
    const served = namedDefinitions(_service.sdl);
    const file = namedDefinitions(readFileSync(new URL('../../schemas/orders.graphql', import.meta.url), 'utf8'));
    // The types first; policy directive definitions (authorization, cache hints) follow them.
    expect([...file.keys()].slice(0, 7)).toEqual(['OrderStatus', 'Order', 'OrderItem', 'User', 'Product', 'Query', 'Mutation']);
    for (const [name, definition] of file) expect(served.get(name), name).toBe(definition);
    const order = parse(_service.sdl).definitions.find(
      (d): d is ObjectTypeDefinitionNode => d.kind === Kind.OBJECT_TYPE_DEFINITION && d.name.value === 'Order',
    );
    expect(order?.directives?.filter((d) => d.name.value === 'key').map((d) => print(d))).toEqual(['@key(fields: "id")']);
    expect(_service.sdl).toContain('@link(url: "https://specs.apollo.dev/federation/v2.9"');
  });

  it('resolves User entities through _entities to that user’s orders, oldest first', async () => {
    const data = await query(
      `query ($representations: [_Any!]!) {
        _entities(representations: $representations) { ... on User { id orders { id } } ... on Order { id status } }
      }`,
      { representations: [{ __typename: 'User', id: 'u1' }, { __typename: 'Order', id: 'o2' }, { __typename: 'User', id: 'u99' }] },
    );
    expect(data._entities).toEqual([
      { id: 'u1', orders: [{ id: 'o1' }, { id: 'o21' }, { id: 'o41' }, { id: 'o61' }, { id: 'o81' }] },
      { id: 'o2', status: 'PAID' },
      { id: 'u99', orders: [] },
    ]);
  });

  it('derives each order from its index: owner, status cycle, items and total', async () => {
    const data = await query(`{ order(id: "o5") { id status createdAt total user { id } items { product { id } quantity unitPrice } } }`);
    expect(data.order).toEqual({
      id: 'o5',
      status: 'PENDING',
      createdAt: '2024-02-02T08:00:00.000Z',
      total: 67.95,
      user: { id: 'u5' },
      items: [
        { product: { id: 'p6' }, quantity: 2, unitPrice: 6.99 },
        { product: { id: 'p17' }, quantity: 3, unitPrice: 17.99 },
      ],
    });
  });

  it('prices every item at the price the products service reports, and totals to the cent', async () => {
    const data = await query(`{ orders(first: 100) { id total items { product { id } quantity unitPrice } } }`);
    expect(data.orders).toHaveLength(100);
    const catalogue = (await (await fetch(`${products.url}/products?page=1&pageSize=30`)).json()) as {
      items: { id: string; priceCents: number }[];
    };
    const priceCents = new Map(catalogue.items.map((p) => [p.id, p.priceCents]));
    for (const order of data.orders as { id: string; total: number; items: { product: { id: string }; quantity: number; unitPrice: number }[] }[]) {
      expect(order.items.length, order.id).toBeGreaterThanOrEqual(1);
      expect(order.items.length, order.id).toBeLessThanOrEqual(3);
      let cents = 0;
      for (const item of order.items) {
        expect(item.unitPrice * 100, order.id).toBeCloseTo(priceCents.get(item.product.id)!, 6);
        expect(item.quantity).toBeGreaterThanOrEqual(1);
        expect(item.quantity).toBeLessThanOrEqual(4);
        cents += item.quantity * priceCents.get(item.product.id)!;
      }
      expect(order.total, order.id).toBe(cents / 100);
    }
  });

  it('filters and pages orders by userId', async () => {
    const data = await query(`{ orders(userId: "u3", first: 2, offset: 1) { id user { id } } }`);
    expect(data.orders).toEqual([{ id: 'o23', user: { id: 'u3' } }, { id: 'o43', user: { id: 'u3' } }]);
  });

  it('cancels an order, and restores seed data on reset', async () => {
    const cancel = await query(`mutation { cancelOrder(id: "o2") { id status } unknown: cancelOrder(id: "o999") { id } }`);
    expect(cancel).toEqual({ cancelOrder: { id: 'o2', status: 'CANCELLED' }, unknown: null });
    expect((await query(`{ order(id: "o2") { status } }`)).order.status).toBe('CANCELLED');

    await orders.reset();

    expect((await query(`{ order(id: "o2") { status } }`)).order.status).toBe('PAID');
  });
});
