import { describe, expect, it } from 'vitest';
import { pathOf } from '../../../src/plugins/edge/useAccessLog.js';

describe('the access log path', () => {
  it('is the path of the request URL without its query or fragment', () => {
    expect(pathOf('http://127.0.0.1:4000/graphql?query=%7B__typename%7D')).toBe('/graphql');
    expect(pathOf('https://bff.example.com/partner/v1/orders/42#x')).toBe('/partner/v1/orders/42');
    expect(pathOf('http://127.0.0.1:4000/a#b?c')).toBe('/a');
  });

  it('is / for a URL without a path and absent for a URL that is not absolute', () => {
    expect(pathOf('http://127.0.0.1:4000')).toBe('/');
    expect(pathOf('http://127.0.0.1:4000?x=1')).toBe('/');
    expect(pathOf('/graphql')).toBeUndefined();
  });
});
