import { describe, expect, it } from 'vitest';
import { operationNameOf } from '../../../src/plugins/load-shedding/operationNameOf.js';

describe('operationNameOf', () => {
  it.each([
    ['query Me { me { id } }', 'Me'],
    ['  # a comment\n mutation Checkout($id: ID!) { checkout(id: $id) { id } }', 'Checkout'],
    ['subscription Ticks { ticks }', 'Ticks'],
    ['fragment F on User { id } query WithFragment { me { ...F } }', 'WithFragment'],
    ['fragment query on User { id } query Named { me { ...query } }', 'Named'],
    ['{ me { id } }', undefined],
    ['query { me { id } }', undefined],
    ['query Me { me { id }', 'Me'],
    ['"unterminated', undefined],
    ['', undefined],
  ])('finds the operation name of %j', (query, expected) => {
    expect(operationNameOf(query)).toBe(expected);
  });
});
