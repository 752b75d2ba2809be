import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/configError.js';
import { SERVE_DEFAULT_MAX_COST, supergraphConfig, type SupergraphConfigOptions } from '../../src/runtime/supergraphConfig.js';

const base: SupergraphConfigOptions = { file: '/tmp/supergraph.graphql', supergraphSdl: 'enum join__Graph { A }', port: 0, host: '127.0.0.1' };
const jwt = { jwksUrl: 'https://idp.example.com/.well-known/jwks.json', issuer: ['https://idp.example.com'], audience: ['gateway'] };

describe('supergraphConfig: what `portico serve` runs', () => {
  it('runs one federation source behind the full transport chain by default', () => {
    const config = supergraphConfig(base);
    const source = config.sources.supergraph!;
    expect(source).toMatchObject({ kind: 'federation', supergraphSdl: base.supergraphSdl, queryPlanner: true });
    expect(source.resilience).toMatchObject({ timeoutMs: 5000, breaker: { enabled: true }, retry: { maxRetries: 2 }, fallback: { enabled: true } });
    expect(config.bffs).toHaveLength(1);
    expect(config.bffs[0]!.sources).toEqual(['supergraph']);
  });

  it('switches each transport layer off by its flag', () => {
    const source = supergraphConfig({ ...base, transport: { breaker: false, retries: false, fallbackCache: false, timeoutMs: 800 } }).sources.supergraph!;
    expect(source.resilience).toMatchObject({ timeoutMs: 800, breaker: { enabled: false }, retry: { maxRetries: 0 }, fallback: { enabled: false } });
  });

  it('has no admin listener unless a port is given, and binds it to loopback even when the gateway listens on every interface', () => {
    expect(supergraphConfig(base).admin).toBeUndefined();
    expect(supergraphConfig({ ...base, host: '0.0.0.0', adminPort: 9400 }).admin).toEqual({ host: '127.0.0.1', port: 9400 });
    expect(supergraphConfig({ ...base, adminPort: 9400, adminHost: '10.0.0.5' }).admin).toEqual({ host: '10.0.0.5', port: 9400 });
  });

  it('prices queries against 50 000 unless --max-cost says otherwise', () => {
    expect(supergraphConfig(base).bffs[0]!.cost).toMatchObject({ maxCost: SERVE_DEFAULT_MAX_COST, defaultListSize: 10 });
    expect(SERVE_DEFAULT_MAX_COST).toBe(50_000);
    expect(supergraphConfig({ ...base, maxCost: 900 }).bffs[0]!.cost.maxCost).toBe(900);
  });

  it('without token flags, accepts no credentials and leaves unannotated fields public', () => {
    const bff = supergraphConfig(base).bffs[0]!;
    expect(bff.auth.jwt).toBeUndefined();
    expect(bff.authz.defaultPolicy).toBe('public');
  });

  it('with token flags, verifies JWTs from the JWKS and makes unannotated fields need an authenticated caller', () => {
    const bff = supergraphConfig({ ...base, jwt }).bffs[0]!;
    expect(bff.auth.jwt).toMatchObject({ jwksUrl: jwt.jwksUrl, issuer: jwt.issuer, audience: jwt.audience, algorithms: ['RS256', 'ES256'] });
    expect(bff.authz.defaultPolicy).toBe('authenticated');
    expect(supergraphConfig({ ...base, jwt, defaultPolicy: 'public' }).bffs[0]!.authz.defaultPolicy).toBe('public');
  });

  it('names the flag when a value is wrong', () => {
    const attempt = () => supergraphConfig({ ...base, jwt: { ...jwt, jwksUrl: 'ftp://idp.example.com/keys' } });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/^\(command line\): --jwks-url: /);
  });
});
