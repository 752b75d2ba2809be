import { describe, expect, it } from 'vitest';
import { createBodyVerifier } from '../../bench/lib/verify.js';

describe('bench response check', () => {
  const expected = { topProducts: [{ upc: '1', name: 'Table' }] };

  it('accepts the expected data whatever the key order or whitespace', () => {
    const verify = createBodyVerifier(expected);
    expect(verify('{"data":{"topProducts":[{"upc":"1","name":"Table"}]}}')).toBe(true);
    expect(verify('{ "data": { "topProducts": [ { "name": "Table", "upc": "1" } ] } }')).toBe(true);
    expect(verify.firstMismatch()).toBeUndefined();
  });

  it.each([
    ['other data', '{"data":{"topProducts":[{"upc":"1","name":"Chair"}]}}'],
    ['a missing item', '{"data":{"topProducts":[]}}'],
    ['the right data with an error', '{"data":{"topProducts":[{"upc":"1","name":"Table"}]},"errors":[{"message":"partial"}]}'],
    ['null data', '{"data":null,"errors":[{"message":"x"}]}'],
    ['a body that is not JSON', '<html>502</html>'],
  ])('refuses %s and keeps the first wrong body for the report', (_what, body) => {
    const verify = createBodyVerifier(expected);
    expect(verify('{"data":{"topProducts":[{"upc":"1","name":"Table"}]}}')).toBe(true);
    expect(verify(body)).toBe(false);
    expect(verify.firstMismatch()).toBe(body.slice(0, 300));
  });
});
