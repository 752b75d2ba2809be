import { describe, expect, it } from 'vitest';
import { ComposeInputError, parseSubgraphInput } from '../../src/cli/composeFromSubgraphs.js';

describe('parseSubgraphInput (--subgraph NAME=FILE|URL[@ROUTING_URL])', () => {
  it.each([
    ['orders=http://127.0.0.1:4102/graphql', { name: 'orders', from: 'http://127.0.0.1:4102/graphql' }],
    ['orders=http://127.0.0.1:4102/graphql@https://orders.internal/graphql', { name: 'orders', from: 'http://127.0.0.1:4102/graphql', routingUrl: 'https://orders.internal/graphql' }],
    ['reviews=./sdl/reviews@v2.graphql@http://reviews:4000/graphql', { name: 'reviews', from: './sdl/reviews@v2.graphql', routingUrl: 'http://reviews:4000/graphql' }],
    ['auth=http://user:pw@auth.internal/graphql', { name: 'auth', from: 'http://user:pw@auth.internal/graphql' }],
  ])('reads %s', (text, expected) => {
    expect(parseSubgraphInput(text)).toEqual(expected);
  });

  it.each([
    ['orders', /expected NAME=FILE\|URL/],
    ['=x.graphql@http://a', /expected NAME=FILE\|URL/],
    ['1st=x.graphql@http://a', /a name of letters/],
    ['reviews=./reviews.graphql', /needs @ROUTING_URL/],
    ['reviews=', /no file or URL/],
  ])('refuses %s', (text, message) => {
    expect(() => parseSubgraphInput(text)).toThrow(ComposeInputError);
    expect(() => parseSubgraphInput(text)).toThrow(message);
  });
});
