import { describe, expect, it } from 'vitest';
import { parseConnectorUrl, UrlTemplateError, type UrlVariable } from '../../../src/sources/rest/parseConnectorUrl.js';
import { expandTemplate } from '../../../src/sources/rest/expandTemplate.js';

const FIELD = new Set<UrlVariable>(['$args', '$this']);
const TYPE = new Set<UrlVariable>(['$this', '$batch']);

describe('connector URL templates', () => {
  it('reads path and query expressions as the engine templates, trimmed across lines', () => {
    const url = parseConnectorUrl('/shops/{$this.shop}/items/{$args.id}\n  ?page={$args.page}\n  &view=full', FIELD);
    const values = { args: { id: 'a b', page: null }, parent: { shop: 's/1' } };
    expect(expandTemplate(url.path, values, 'path')).toBe('/shops/s%2F1/items/a%20b');
    expect(url.query.map((q) => [q.name, expandTemplate(q.template, values, 'query')])).toEqual([
      ['page', null],
      ['view', 'full'],
    ]);
  });

  it('reads a $batch parameter with the literal parameters beside it', () => {
    expect(parseConnectorUrl("/items?view=full&ids={$batch.id->joinNotNull(',')}", TYPE).batch).toEqual({ param: 'ids', key: 'id', staticQuery: 'view=full' });
  });

  it.each([
    ['https://api.example.com/items', FIELD, 'absolute URL'],
    ['items/{$args.id}', FIELD, 'must start with "/"'],
    ['/items/{$args.a.b}', FIELD, 'nested paths'],
    ['/items/{$args.id->first}', FIELD, 'methods'],
    ['/items/{$env.HOME}', FIELD, 'only {$args.<name>}'],
    ['/items/{$this.id}', new Set<UrlVariable>(['$args']), '$this is not available here'],
    ["/items?ids={$batch.id->joinNotNull(',')}", FIELD, 'only available in a @connect on a type'],
    ["/items/{$this.x}?ids={$batch.id->joinNotNull(',')}", TYPE, 'no other expressions'],
    ['/items/{$args.id', FIELD, 'unclosed'],
  ])('refuses %s', (raw, allowed, message) => {
    expect(() => parseConnectorUrl(raw, allowed)).toThrow(UrlTemplateError);
    expect(() => parseConnectorUrl(raw, allowed)).toThrow(message);
  });
});
