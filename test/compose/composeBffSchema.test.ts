import path from 'node:path';
import { readFileSync } from 'node:fs';
import { isObjectType, type GraphQLSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { bffSchema, sourceSchema } from '../../src/config/schema.js';
import type { LoadedBff, LoadedSource } from '../../src/config/loadConfig.js';
import { buildSourceRuntime, type SourceRuntime } from '../../src/compose/buildSourceRuntime.js';
import { composeBffSchema } from '../../src/compose/composeBffSchema.js';
import { repoRoot } from '../support/portico.js';

// Composition needs no upstream: every call below would fail, and none is made.
const unreachable = () => () => Promise.reject(new Error('no upstream call expected while composing'));

function source(name: string, raw: Record<string, unknown>, files: Partial<LoadedSource> = {}): LoadedSource {
  return { ...sourceSchema.parse(raw), name, file: 'test', ...files } as LoadedSource;
}

function runtimesOf(...sources: LoadedSource[]): Map<string, SourceRuntime> {
  return new Map(sources.map((s) => [s.name, buildSourceRuntime(s, { httpFor: unreachable })]));
}

function bff(raw: Record<string, unknown>): LoadedBff {
  return { ...bffSchema.parse({ name: 'test', port: 0, ...raw }), file: 'test' };
}

const fields = (schema: GraphQLSchema, type: string) => {
  const found = schema.getType(type);
  return isObjectType(found) ? Object.keys(found.getFields()) : [];
};

const sdl = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');
const users = source('users', { kind: 'graphql', url: 'http://users.invalid/graphql', schema: 'x', merge: { User: { key: 'id', field: 'usersByIds' } } }, { sdl: sdl('schemas/users.graphql') });
const products = source('products', { kind: 'rest', baseUrl: 'http://products.invalid', schema: 'x' }, { sdl: sdl('schemas/products.graphql') });

describe('composeBffSchema', () => {
  it('serves a federation source given as an already composed supergraph file', () => {
    const shop = source('shop', { kind: 'federation', supergraph: 'x' }, { supergraphSdl: sdl('test/fixtures/federation/shop/supergraph.graphql') });
    const { schema } = composeBffSchema(bff({ sources: ['shop', 'products'] }), runtimesOf(shop, products));
    expect(fields(schema, 'Query')).toEqual(expect.arrayContaining(['me', 'topProducts', 'product', 'products']));
    expect(fields(schema, 'Query').filter((name) => name.startsWith('_'))).toEqual([]);
  });

  it('removes hidden fields and every field of a hidden type', () => {
    const { schema } = composeBffSchema(bff({ sources: ['users'], hide: ['User.email', 'Tenant'] }), runtimesOf(users));
    expect(fields(schema, 'User')).not.toContain('email');
    expect(fields(schema, 'User')).not.toContain('tenant');
    expect(fields(schema, 'Query')).not.toContain('tenant');
    expect(schema.getType('Tenant')).toBeUndefined();
  });

  it('renames fields where the data comes from', () => {
    const { schema } = composeBffSchema(bff({ sources: ['users'], rename: { 'User.name': 'displayName' } }), runtimesOf(users));
    expect(fields(schema, 'User')).toContain('displayName');
    expect(fields(schema, 'User')).not.toContain('name');
  });

  it('refuses to hide a field the schema does not have, naming it', () => {
    expect(() => composeBffSchema(bff({ sources: ['users'], hide: ['User.emial'] }), runtimesOf(users))).toThrow(
      /test: hide: User\.emial is not a field/,
    );
  });

  describe('which BFFs run by query plans', () => {
    const shop = (raw: Record<string, unknown> = {}) =>
      source('shop', { kind: 'federation', supergraph: 'x', ...raw }, { supergraphSdl: sdl('test/fixtures/federation/shop/supergraph.graphql') });

    it('plans a BFF whose only source is a federation, hidden fields and all', () => {
      const { planner } = composeBffSchema(bff({ sources: ['shop'], hide: ['Product.weight'] }), runtimesOf(shop()));
      expect(planner).toBeTypeOf('function');
    });

    it('plans a BFF that adds another source, or renames fields, with the BFF planner (docs/query-planner.md)', () => {
      expect(composeBffSchema(bff({ sources: ['shop', 'products'] }), runtimesOf(shop(), products)).planner).toBeTypeOf('function');
      expect(composeBffSchema(bff({ sources: ['shop'], rename: { 'Product.name': 'title' } }), runtimesOf(shop())).planner).toBeTypeOf('function');
    });

    it("keeps stitching for a BFF with engine: 'stitch'", () => {
      expect(composeBffSchema(bff({ sources: ['shop', 'products'], engine: 'stitch' }), runtimesOf(shop(), products)).planner).toBeUndefined();
      expect(composeBffSchema(bff({ sources: ['shop'], engine: 'stitch' }), runtimesOf(shop())).planner).toBeUndefined();
    });

    it('keeps stitching when the federation source turns the planner off', () => {
      expect(composeBffSchema(bff({ sources: ['shop'] }), runtimesOf(shop({ queryPlanner: false }))).planner).toBeUndefined();
      expect(composeBffSchema(bff({ sources: ['shop', 'products'] }), runtimesOf(shop({ queryPlanner: false }), products)).planner).toBeUndefined();
    });
  });
});
