import { describe, expect, it } from 'vitest';
import { mergeCacheControl, parseCacheControl, restrictToPrivate } from '../../../src/plugins/headers/mergeCacheControl.js';

const merge = (...values: string[]) => mergeCacheControl(values.map(parseCacheControl));

describe('the strictest-wins Cache-Control merge', () => {
  it.each([
    [['public, max-age=60', 'public, max-age=30'], 'public, max-age=30'],
    [['public, max-age=60', 'private, max-age=120'], 'private, max-age=60'],
    [['public, max-age=60', 'max-age=30'], 'max-age=30'],
    [['public, max-age=60', 'no-store'], 'no-store'],
    [['public, max-age=60', 'no-cache'], 'no-cache, max-age=0'],
    [['public, max-age=60', 'public'], 'public, max-age=0'],
    [['public, max-age=60, s-maxage=600', 'public, max-age=30'], 'public, max-age=30, s-maxage=30'],
    [['public, max-age=60, s-maxage=600', 'private, max-age=30'], 'private, max-age=30'],
    [['public, max-age=60, must-revalidate', 'public, max-age=90'], 'public, max-age=60, must-revalidate'],
    [['max-age=60, stale-while-revalidate=30', 'max-age=60, stale-while-revalidate=10'], 'max-age=60, stale-while-revalidate=10'],
    [['max-age=60, stale-while-revalidate=30', 'max-age=60'], 'max-age=60'],
    [['PUBLIC, Max-Age="45"', 'public, max-age=50'], 'public, max-age=45'],
    [['public, max-age=abc'], 'public, max-age=0'],
  ])('%j → %s', (values, expected) => {
    expect(merge(...values)).toBe(expected);
  });

  it('has nothing to say about no answers', () => {
    expect(mergeCacheControl([])).toBeUndefined();
  });

  it('makes a shared answer private, dropping what only shared caches read', () => {
    expect(restrictToPrivate('public, max-age=60, s-maxage=600')).toBe('private, max-age=60');
    expect(restrictToPrivate('no-store')).toBe('no-store');
    expect(restrictToPrivate('private, max-age=5')).toBe('private, max-age=5');
  });
});
