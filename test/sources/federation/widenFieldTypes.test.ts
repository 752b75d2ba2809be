import { describe, expect, it } from 'vitest';
import { composeSupergraph } from '../../../src/sources/federation/composeSupergraph.js';
import { compatibleTypes } from '../../fixtures/federation/shapes/compatibleTypes.js';
import { widerFieldType } from '../../fixtures/federation/shapes/widerFieldType.js';
import { placeholderUrl } from '../../support/federationFixture.js';

// @theguild/federation-composition keeps the narrowest of a field's compatible types; Apollo's
// composer (and so the audit's supergraphs) the most general, with a type per subgraph.
describe('widenFieldTypes', () => {
  const supergraph = composeSupergraph(widerFieldType.map((subgraph) => ({ name: subgraph.name, url: placeholderUrl(subgraph.name), sdl: subgraph.sdl })));
  const line = (field: string) => supergraph.split('\n').find((text) => text.trim().startsWith(`${field}:`))?.trim();

  it('types a Query field every subgraph defines by the union, with each subgraph type on a @join__field', () => {
    expect(line('featured')).toBe('featured: Pick @join__field(graph: BOOKSHOP, type: "Book") @join__field(graph: CINEMA, type: "Pick")');
  });

  it('types a value type field by the union, keeping the @join__fields the library wrote', () => {
    expect(line('top')).toBe('top: Pick @join__field(graph: BOOKSHOP, type: "Book") @join__field(graph: CINEMA, type: "Pick")');
  });

  it('leaves a field with one type everywhere as the library printed it', () => {
    expect(line('title')).toBe('title: String!');
  });

  it('types a field by the interface an object implements, where one subgraph has the object', () => {
    const composed = composeSupergraph(compatibleTypes.map((subgraph) => ({ name: subgraph.name, url: placeholderUrl(subgraph.name), sdl: subgraph.sdl })));
    expect(composed.split('\n').find((text) => text.trim().startsWith('featured:'))?.trim()).toBe(
      'featured: Item @join__field(graph: ARCHIVE, type: "Book") @join__field(graph: STORE, type: "Item")',
    );
  });
});
