import { describe, expect, it } from 'vitest';
import { trafficSchema } from '../../src/config/trafficSchema.js';
import { ANONYMOUS, type Principal } from '../../src/context/principal.js';
import { chooseVersion, stickyPoint, type RoutingFacts } from '../../src/transport/chooseVersion.js';

const versions = { stable: 'http://127.0.0.1:1/graphql', canary: 'http://127.0.0.1:2/graphql' };
const none = new Set<string>();

function user(subject: string, extra: Partial<Principal> = {}): Principal {
  return { kind: 'jwt', subject, scopes: [], roles: [], ...extra };
}

function facts(principal: Principal, headers: Record<string, string> = {}): RoutingFacts {
  return { principal, header: (name) => headers[name] };
}

describe('chooseVersion', () => {
  it('places 10,000 signed-in subjects within 2 points of a 90/10 split, by their hash', () => {
    const traffic = trafficSchema.parse({ versions, weights: { stable: 90, canary: 10 } });
    let canary = 0;
    for (let i = 0; i < 10_000; i++) {
      if (chooseVersion('users', traffic, facts(user(`user-${i}`)), none).version === 'canary') canary += 1;
    }
    expect(Math.abs(canary / 100 - 10)).toBeLessThanOrEqual(2);
  });

  it('places 10,000 anonymous calls within 2 points of a 70/30 split, at random', () => {
    const traffic = trafficSchema.parse({ versions, weights: { stable: 70, canary: 30 } });
    // A seeded generator (mulberry32), so the test cannot pass or fail by luck.
    let seed = 42;
    const random = () => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
    let canary = 0;
    for (let i = 0; i < 10_000; i++) if (chooseVersion('users', traffic, facts(ANONYMOUS), none, random).version === 'canary') canary += 1;
    expect(Math.abs(canary / 100 - 30)).toBeLessThanOrEqual(2);
  });

  it('keeps one subject on one version for 1,000 calls, whatever the random source says', () => {
    const traffic = trafficSchema.parse({ versions, weights: { stable: 50, canary: 50 } });
    const seen = new Set<string>();
    let flip = 0;
    for (let i = 0; i < 1_000; i++) seen.add(chooseVersion('users', traffic, facts(user('alice')), none, () => (flip++ % 2) / 2).version);
    expect(seen.size).toBe(1);
  });

  it('salts the hash by source, so a canary user of one source is not the canary user of all', () => {
    expect(stickyPoint('users', 'alice')).not.toBe(stickyPoint('orders', 'alice'));
    expect(stickyPoint('users', 'alice')).toBe(stickyPoint('users', 'alice'));
  });

  it('applies header, tenant, subject, plan, role and scope rules exactly, first match first', () => {
    const traffic = trafficSchema.parse({
      versions: { ...versions, beta: 'http://127.0.0.1:3/graphql' },
      rules: [
        { version: 'canary', when: { header: { name: 'X-Version', equals: 'canary' } } },
        { version: 'beta', when: { tenant: ['acme'], plan: ['pro'] } },
        { version: 'canary', when: { tenant: ['acme'] } },
        { version: 'beta', when: { subject: ['bob'] } },
        { version: 'beta', when: { role: 'tester' } },
        { version: 'beta', when: { scope: 'beta:opt-in' } },
      ],
    });
    const pick = (principal: Principal, headers: Record<string, string> = {}) => chooseVersion('users', traffic, facts(principal, headers), none);
    expect(pick(ANONYMOUS, { 'x-version': 'canary' })).toEqual({ version: 'canary', by: 'rule' });
    expect(pick(ANONYMOUS, { 'x-version': 'Canary' })).toEqual({ version: 'stable', by: 'primary' });
    expect(pick(user('u', { tenant: 'acme', plan: 'pro' })).version).toBe('beta');
    expect(pick(user('u', { tenant: 'acme', plan: 'free' })).version).toBe('canary');
    expect(pick(user('u', { tenant: 'globex' })).version).toBe('stable');
    expect(pick(user('bob')).version).toBe('beta');
    expect(pick(user('u', { roles: ['tester'] })).version).toBe('beta');
    expect(pick(user('u', { scopes: ['beta:opt-in'] })).version).toBe('beta');
    // An anonymous caller has no tenant, whatever it claims in a header.
    expect(pick(ANONYMOUS, { 'x-tenant': 'acme' }).version).toBe('stable');
  });

  it('sends nothing to a withdrawn version: neither its rules nor its weight', () => {
    const traffic = trafficSchema.parse({ versions, weights: { stable: 0, canary: 100 }, rules: [{ version: 'canary', when: { tenant: ['acme'] } }] });
    const withdrawn = new Set(['canary']);
    expect(chooseVersion('users', traffic, facts(user('u', { tenant: 'acme' })), withdrawn)).toEqual({ version: 'stable', by: 'primary' });
    expect(chooseVersion('users', traffic, facts(user('u')), withdrawn)).toEqual({ version: 'stable', by: 'primary' });
  });
});

describe('trafficSchema', () => {
  it('names the key of a bad traffic block', () => {
    const result = trafficSchema.safeParse({ versions, weights: { stable: 90, canry: 5 }, mirror: { version: 'stable', percent: 5 } });
    expect(result.success).toBe(false);
    const issues = result.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    expect(issues).toContain('weights.canry: unknown version "canry" (versions: stable, canary)');
    expect(issues).toContain('weights: weights must sum to 100, got 95');
    expect(issues).toContain('mirror.version: the primary cannot be its own shadow');
  });
});
