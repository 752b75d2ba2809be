import { describe, expect, it } from 'vitest';
import { firstBodyDifference, firstDifference } from '../../src/transport/firstDifference.js';

describe('firstDifference', () => {
  it('finds nothing in equal values, whatever the key order', () => {
    expect(firstDifference({ a: 1, b: [1, { c: null }] }, { b: [1, { c: null }], a: 1 })).toBeUndefined();
  });

  it('names the path of the first difference, never a value', () => {
    expect(firstDifference({ data: { user: { name: 'Ada', orders: [{ status: 'PAID' }, { status: 'PAID' }] } } }, { data: { user: { name: 'Ada', orders: [{ status: 'PAID' }, { status: 'CANCELLED' }] } } })).toBe(
      'data.user.orders.1.status',
    );
    expect(firstDifference({ data: { a: 1 } }, { data: { a: 1, b: 2 } })).toBe('data.b');
    expect(firstDifference({ list: [1, 2] }, { list: [1, 2, 3] })).toBe('list.2');
    expect(firstDifference({ x: 1 }, { x: '1' })).toBe('x');
    expect(firstDifference([1], { 0: 1 })).toBe('$');
  });

  it('compares bodies as JSON, and a body that is not JSON at the root', () => {
    expect(firstBodyDifference('{"a":1,"b":2}', '{"b":2,"a":1}')).toBeUndefined();
    expect(firstBodyDifference('{"a":1}', '{"a":2}')).toBe('a');
    expect(firstBodyDifference('{"a":1}', '<html>')).toBe('$');
  });
});
