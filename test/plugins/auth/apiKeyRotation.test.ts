import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { apiKeysSchema } from '../../../src/config/authSchema.js';
import { createApiKeyLookup, hashApiKey } from '../../../src/plugins/auth/apiKeys.js';
import { recordApiKeyUse } from '../../../src/plugins/auth/apiKeyMetrics.js';

const key = (id: string, secret: string, extra: Record<string, unknown> = {}) => ({ id, hash: hashApiKey(secret), tenant: 't1', plan: 'pro', ...extra });

describe('partner API key rotation', () => {
  it('refuses a key from its expiresAt on, and keeps its successor working', () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const used: string[] = [];
    const lookup = createApiKeyLookup(
      [
        { ...key('old', 'old-secret'), scopes: [], roles: [], expiresAt: Date.parse('2026-01-02T00:00:00Z') },
        { ...key('new', 'new-secret'), scopes: [], roles: [] },
      ],
      { now: () => now, onUse: (id) => used.push(id) },
    );
    expect(lookup('old-secret')).toMatchObject({ kind: 'apiKey', subject: 'old', tenant: 't1' });
    now = Date.parse('2026-01-02T00:00:00Z');
    expect(lookup('old-secret')).toBe('expired');
    expect(lookup('new-secret')).toMatchObject({ subject: 'new' });
    expect(lookup('unknown')).toBeUndefined();
    // Only keys that authenticated a request count as used.
    expect(used).toEqual(['old', 'new']);
  });

  it('allows two unexpired keys per partner, refuses a third naming the tenant and keys, ignores expired ones', () => {
    const past = '2020-01-01T00:00:00Z';
    const future = '2999-01-01T00:00:00Z';
    expect(apiKeysSchema.safeParse({ enabled: true, keys: [key('a', 'a'), key('b', 'b', { expiresAt: future })] }).success).toBe(true);
    expect(apiKeysSchema.safeParse({ enabled: true, keys: [key('a', 'a'), key('b', 'b'), key('c', 'c', { expiresAt: past })] }).success).toBe(true);
    const three = apiKeysSchema.safeParse({ enabled: true, keys: [key('a', 'a'), key('b', 'b'), key('c', 'c', { expiresAt: future })] });
    expect(three.success).toBe(false);
    expect(three.error!.issues[0]!.message).toMatch(/tenant "t1" has 3 unexpired keys \(a, b, c\); at most 2/);
    expect(apiKeysSchema.safeParse({ enabled: true, keys: [key('a', 'a', { expiresAt: '2026-01-01' })] }).success).toBe(false);
  });

  it('exposes when each key was last used, by id, as a Prometheus gauge', async () => {
    recordApiKeyUse('partner-test', 'acme-2026', Date.parse('2026-03-01T12:00:00Z'));
    const text = await register.metrics();
    expect(text).toContain(`portico_api_key_last_used_seconds{bff="partner-test",key="acme-2026"} ${Date.parse('2026-03-01T12:00:00Z') / 1000}`);
  });
});
