import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { mockRestResponder } from '../../src/cli/mockRestResponses.js';

// `portico plan` answers REST calls with placeholder JSON of the source's SDL; a connector schema
// (docs/connectors.md) must be read as well as a @rest one, or the command would fail on it.
const sdl = (file: string) => readFileSync(new URL(`../sources/rest/fixtures/${file}`, import.meta.url), 'utf8');

describe('mockRestResponder', () => {
  it.each(['products.rest.graphql', 'products.connect.graphql'])('answers the endpoints of %s', (file) => {
    const respond = mockRestResponder(sdl(file));
    const one = respond('http://products.test/products/p1');
    expect(one.status).toBe(200);
    expect(Object.keys(one.body as object).sort()).toEqual(['category', 'description', 'id', 'name', 'priceCents', 'sku']);
    const batch = respond('http://products.test/products?ids=p1,p2');
    expect(batch).toMatchObject({ status: 200, batch: true });
    expect((batch.body as { id: string }[]).map((item) => item.id)).toEqual(['p1', 'p2']);
    expect(respond('http://products.test/elsewhere').status).toBe(404);
  });
});
