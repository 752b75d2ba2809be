import { describe, expect, it } from 'vitest';
import { parseSelection, SelectionError } from '../../../src/sources/rest/parseSelection.js';
import { applySelection } from '../../../src/sources/rest/applySelection.js';

const data = {
  id: 7,
  name: 'Kite',
  'unit price': 3,
  price: { amount: { cents: 250 }, currency: 'EUR' },
  tags: [{ label: 'a' }, { label: 'b' }],
  results: [{ id: 1, title: 'one' }, { id: 2, title: 'two' }],
};

describe('selection mapping: parse and apply', () => {
  it.each([
    ['fields', 'id name', { id: 7, name: 'Kite' }],
    ['an alias', 'title: name', { title: 'Kite' }],
    ['a nested path', 'cents: price.amount.cents', { cents: 250 }],
    ['a quoted key', 'unitPrice: "unit price"', { unitPrice: 3 }],
    ['a path through a list', 'labels: tags.label', { labels: ['a', 'b'] }],
    ['a sub-selection on a list', 'tags { label }', { tags: [{ label: 'a' }, { label: 'b' }] }],
    ['a path with a sub-selection', 'money: price { currency }', { money: { currency: 'EUR' } }],
    ['a group', 'money: { cents: price.amount.cents currency: price.currency }', { money: { cents: 250, currency: 'EUR' } }],
    ['$ as the current value', 'id: $.id', { id: 7 }],
    ['a missing property is absent', 'id missing', { id: 7 }],
    ['comments and line breaks', 'id # the key\nname', { id: 7, name: 'Kite' }],
    ['a top-level path with a sub-selection', '$.results { key: id }', [{ key: 1 }, { key: 2 }]],
    ['a top-level path to a leaf', '$.price.currency', 'EUR'],
  ])('%s', (_name, selection, expected) => {
    expect(applySelection(parseSelection(selection), data)).toEqual(expected);
  });

  it('reads $args and $this from the call', () => {
    expect(applySelection(parseSelection('id: $args.id owner: $this.name'), {}, { $args: { id: 'x' }, $this: { name: 'p' } })).toEqual({ id: 'x', owner: 'p' });
  });

  it('maps an object selection over a list, and gives null for null', () => {
    expect(applySelection(parseSelection('id'), [{ id: 1 }, { id: 2 }])).toEqual([{ id: 1 }, { id: 2 }]);
    expect(applySelection(parseSelection('id'), null)).toBeNull();
  });

  it('never reads the prototype', () => {
    expect(applySelection(parseSelection('c: constructor p: __proto__'), {})).toEqual({});
  });

  it.each([
    ['id->first', '->'],
    ['name: $("x")', '$('],
    ['name: a ?? b', '??'],
    ['name: a?.b', '?.'],
    ['...spread', '...'],
    ['name: @', '@'],
    ['name: $config.x', '$config'],
    ['a.b', 'a.'],
    ['id id', 'id'],
    ['id {', '}'],
    ['id, name', ','],
  ])('refuses %s, naming %s', (selection, construct) => {
    let caught: unknown;
    try {
      parseSelection(selection);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(SelectionError);
    expect((caught as SelectionError).construct).toBe(construct);
  });
});
