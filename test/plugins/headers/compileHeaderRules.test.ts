import { describe, expect, it } from 'vitest';
import { bffHeadersSchema, sourceHeadersSchema } from '../../../src/config/headersSchema.js';
import { collectedValues, compileHeaderRules, type CollectedHeader } from '../../../src/plugins/headers/compileHeaderRules.js';

const compile = (bff: unknown, sources: Record<string, unknown> = {}) =>
  compileHeaderRules(bffHeadersSchema.parse(bff), Object.fromEntries(Object.entries(sources).map(([name, rules]) => [name, sourceHeadersSchema.parse(rules)])));

describe('compiled header rules', () => {
  it('applies the BFF rules, then the source rules, in order', () => {
    const rules = compile(
      { request: [{ propagate: 'accept-language', rename: 'x-locale', default: 'en' }, { set: 'x-bff', value: 'web' }] },
      { orders: { request: [{ remove: 'x-locale' }] }, users: { request: [{ set: 'x-bff', value: 'users-only' }] } },
    );
    const client = new Headers({ 'accept-language': 'de' });
    expect(rules.requestHeaders('products', client)).toEqual({ 'x-locale': 'de', 'x-bff': 'web' });
    expect(rules.requestHeaders('orders', client)).toEqual({ 'x-bff': 'web' });
    expect(rules.requestHeaders('users', client)).toEqual({ 'x-locale': 'de', 'x-bff': 'users-only' });
    expect(rules.requestHeaders('products', new Headers())).toEqual({ 'x-locale': 'en', 'x-bff': 'web' });
  });

  it('lets a pattern take neither credentials nor hop-by-hop nor gateway headers, nor what Connection names', () => {
    const rules = compile({ request: [{ propagate: { matching: '.*' } }] });
    const client = new Headers({
      authorization: 'Bearer t',
      cookie: 'a=b',
      'x-api-key': 'k',
      'x-portico-subject': 'admin',
      'x-request-id': 'r',
      connection: 'x-drop-me',
      'x-drop-me': '1',
      'x-keep': '2',
      'keep-alive': 'timeout=5',
    });
    expect(rules.requestHeaders('any', client)).toEqual({ 'x-keep': '2' });
    expect(rules.forwardsCredentials(client)).toBe(false);
  });

  it("treats the BFF's own API key header as a credential", () => {
    const rules = compileHeaderRules(bffHeadersSchema.parse({ request: [{ propagate: { matching: '^x-partner-' } }] }), {}, ['X-Partner-Key']);
    expect(rules.requestHeaders('any', new Headers({ 'x-partner-key': 'pk_live', 'x-partner-region': 'eu' }))).toEqual({ 'x-partner-region': 'eu' });
  });

  it('forwards a credential a rule names, and says so', () => {
    const rules = compile({}, { users: { request: [{ propagate: 'authorization' }] } });
    const client = new Headers({ authorization: 'Bearer t' });
    expect(rules.requestHeaders('users', client)).toEqual({ authorization: 'Bearer t' });
    expect(rules.requestHeaders('orders', client)).toBeUndefined();
    expect(rules.forwardsCredentials(client)).toBe(true);
    expect(rules.forwardsCredentials(new Headers())).toBe(false);
  });

  it('keys caches by the values rules may forward, in any order, and by nothing without rules', () => {
    const rules = compile({ request: [{ propagate: 'accept-language' }, { propagate: { matching: '^x-f-' } }] });
    const key = rules.forwardedKey(new Headers({ 'accept-language': 'de', 'x-f-a': '1', 'x-other': 'ignored' }));
    expect(key).toBe(rules.forwardedKey(new Headers({ 'x-f-a': '1', 'accept-language': 'de' })));
    expect(key).not.toBe(rules.forwardedKey(new Headers({ 'accept-language': 'fr', 'x-f-a': '1' })));
    expect(rules.forwardedKey(new Headers())).toBe('');
    expect(compile({}).forwardedKey(new Headers({ 'accept-language': 'de' }))).toBeUndefined();
  });

  it('passes back what the rules allow, by the client-side name, merged as configured', () => {
    const rules = compile(
      { response: [{ propagate: { matching: '^x-shared-' } }, { propagate: 'x-first', merge: 'first' }] },
      { products: { response: [{ propagate: 'x-version', rename: 'x-catalog-version' }, { propagate: 'set-cookie' }] } },
    );
    const into = new Map<string, CollectedHeader>();
    rules.collectResponse('products', { 'x-version': '7', 'x-shared-a': 'p', 'x-first': '1', 'set-cookie': ['a=1', 'b=2'], 'x-secret': 's', connection: 'x-shared-hop', 'x-shared-hop': 'h' }, into);
    rules.collectResponse('inventory', { 'x-version': 'not-for-inventory', 'x-shared-a': 'i', 'x-first': '2', 'set-cookie': 'c=3' }, into);
    rules.collectResponse('inventory', { 'x-shared-a': 'i' }, into);
    const sent = Object.fromEntries([...into].map(([name, header]) => [name, collectedValues(header)]));
    expect(sent).toEqual({ 'x-catalog-version': ['7'], 'x-shared-a': ['p', 'i'], 'x-first': ['1'], 'set-cookie': ['a=1', 'b=2'] });
  });
});
