import { describe, expect, it } from 'vitest';
import { expandChannel, parseChannelFields } from '../../../src/sources/redis-events/channelDirective.js';

const SDL = `
type OrderEvent { orderId: ID! status: String! }
type Subscription {
  orderStatus(orderId: ID!): OrderEvent @channel(name: "orders.{orderId}.status")
  everything: OrderEvent @channel(name: "orders.all")
}`;

describe('@channel', () => {
  it('reads each subscription field\'s template and strips the directive from the SDL', () => {
    const { fields, document } = parseChannelFields(SDL, 'events');
    expect(fields).toEqual([
      { fieldName: 'orderStatus', template: 'orders.{orderId}.status', placeholders: ['orderId'] },
      { fieldName: 'everything', template: 'orders.all', placeholders: [] },
    ]);
    expect(JSON.stringify(document)).not.toContain('"channel"');
  });

  it('fills placeholders from arguments', () => {
    const [field] = parseChannelFields(SDL, 'events').fields;
    expect(expandChannel(field!, { orderId: 'o-1_A' })).toEqual({ channel: 'orders.o-1_A.status' });
    expect(expandChannel(field!, { orderId: 42 })).toEqual({ channel: 'orders.42.status' });
  });

  it.each([['o1.secret'], ['*'], ['o1 x'], [''], ['a'.repeat(129)]])('refuses %j as a placeholder value: no argument reaches another channel', (value) => {
    const [field] = parseChannelFields(SDL, 'events').fields;
    expect(expandChannel(field!, { orderId: value })).toEqual({ invalid: 'orderId' });
  });

  it.each([
    ['a subscription field without @channel', 'type E { a: Int } type Subscription { e: E }', 'events: Subscription.e has no @channel'],
    ['a placeholder naming no argument', 'type E { a: Int } type Subscription { e(id: ID): E @channel(name: "x.{other}") }', 'events: Subscription.e: @channel placeholder {other} names no argument'],
    ['@channel outside Subscription', 'type E { a: Int @channel(name: "x") } type Subscription { e: E @channel(name: "y") }', 'events: E.a: @channel belongs on Subscription fields only'],
    ['no Subscription type', 'type Query { a: Int }', 'events: a Redis event source needs a Subscription type'],
  ])('fails start-up on %s, naming the field', (_, sdl, message) => {
    expect(() => parseChannelFields(sdl, 'events')).toThrow(message);
  });
});
