import { describe, expect, it } from 'vitest';
import { ifNoneMatchHits, strongEtag } from '../../src/partner-rest/conditionalRequest.js';
import { deprecationHeaders } from '../../src/partner-rest/deprecationHeaders.js';
import { parseRoutePath, matchRoutePath, splitPathname } from '../../src/partner-rest/routePath.js';

describe('ETags and If-None-Match', () => {
  const etag = strongEtag('{"id":"o1"}');

  it('derives a strong ETag from the exact body', () => {
    expect(etag).toMatch(/^"[A-Za-z0-9_-]{43}"$/);
    expect(strongEtag('{"id":"o1"}')).toBe(etag);
    expect(strongEtag('{"id": "o1"}')).not.toBe(etag);
  });

  it.each([
    [etag, true],
    [`W/${etag}`, true],
    [`"x", ${etag}`, true],
    ['*', true],
    ['"x"', false],
    [null, false],
  ])('If-None-Match %j matches: %s', (header, hits) => {
    expect(ifNoneMatchHits(header, etag)).toBe(hits);
  });
});

describe('deprecation headers', () => {
  it('sends Deprecation as epoch seconds, Sunset as an HTTP-date and the successor with the same parameters', () => {
    const successor = parseRoutePath('/v2/orders/:id');
    expect(deprecationHeaders({ since: '2025-06-01', sunset: '2026-12-31', successor: '/v2/orders/:id' }, successor, { id: 'o 1' })).toEqual({
      deprecation: '@1748736000',
      sunset: 'Thu, 31 Dec 2026 00:00:00 GMT',
      link: '</v2/orders/o%201>; rel="successor-version"',
    });
  });
});

describe('route paths', () => {
  const route = parseRoutePath('/v1/orders/:id/items');

  it('matches literal segments exactly and decodes parameters once', () => {
    expect(route.openApiPath).toBe('/v1/orders/{id}/items');
    expect(matchRoutePath(route, splitPathname('/v1/orders/o%2F1/items'))).toEqual({ id: 'o/1' });
    expect(matchRoutePath(route, splitPathname('/v1/orders/o1/items/'))).toEqual({ id: 'o1' });
    expect(matchRoutePath(route, splitPathname('/v1/orders//items'))).toBeUndefined();
    expect(matchRoutePath(route, splitPathname('/v1/orders/o1'))).toBeUndefined();
    expect(matchRoutePath(route, splitPathname('/v1/orders/%E0%A4%A/items'))).toBeUndefined();
  });
});
