import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import path from 'node:path';
import { adminSchema } from '../../src/config/resilienceSchema.js';
import { loadConfig } from '../../src/config/loadConfig.js';
import { startAdminServer } from '../../src/runtime/adminServer.js';
import { repoRoot } from '../support/portico.js';

describe('the admin listener', () => {
  it('serves Prometheus text at /metrics and breaker states at /sources, and nothing else', async () => {
    const registry = new Registry();
    new Counter({ name: 'portico_test_total', help: 'test', registers: [registry] }).inc(3);
    const admin = await startAdminServer({ host: '127.0.0.1', port: 0, registry, logger: pino({ level: 'silent' }), sources: () => ({ inventory: { breaker: 'open' } }) });
    try {
      const metrics = await fetch(`${admin.url}/metrics`);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await metrics.text();
      expect(text).toContain('portico_test_total 3');
      expect(text).toContain('process_cpu_user_seconds_total');
      expect(await (await fetch(`${admin.url}/sources`)).json()).toEqual({ inventory: { breaker: 'open' } });
      expect((await fetch(`${admin.url}/graphql`)).status).toBe(404);
      expect((await fetch(`${admin.url}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await admin.close();
    }
  });
});

describe('/admin/* needs the admin bearer token', () => {
  const TOKEN = 'admin-token-for-this-test-0123456789abcdef';
  const actions = { '/admin/reload': () => Promise.resolve({ status: 200, body: { ok: true } }) };
  const start = (bearerToken?: string) =>
    startAdminServer({ host: '127.0.0.1', port: 0, registry: new Registry(), logger: pino({ level: 'silent' }), actions, ...(bearerToken ? { bearerToken } : {}) });

  it('refuses a request without the token, or with a wrong one, with 401 and WWW-Authenticate; runs it with the token', async () => {
    const admin = await start(TOKEN);
    try {
      for (const authorization of [undefined, 'Bearer wrong', `Bearer ${TOKEN}x`, `Basic ${TOKEN}`, TOKEN]) {
        const refused = await fetch(`${admin.url}/admin/reload`, { method: 'POST', headers: authorization ? { authorization } : {} });
        expect(refused.status).toBe(401);
        expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="portico-admin"');
      }
      const ran = await fetch(`${admin.url}/admin/reload`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ran.status).toBe(200);
      expect(await ran.json()).toEqual({ ok: true });
    } finally {
      await admin.close();
    }
  });

  it('refuses every /admin/* request when no token is configured', async () => {
    const admin = await start();
    try {
      const refused = await fetch(`${admin.url}/admin/reload`, { method: 'POST', headers: { authorization: 'Bearer anything' } });
      expect(refused.status).toBe(401);
      expect(await refused.json()).toEqual({ error: 'no admin token is configured (admin.token); /admin/* is off' });
    } finally {
      await admin.close();
    }
  });
});

describe('admin config', () => {
  it('refuses a non-loopback admin listener without a token, naming the key', () => {
    const result = adminSchema.safeParse({ host: '0.0.0.0', port: 9400 });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual(['token']);
    expect(adminSchema.safeParse({ host: '0.0.0.0', port: 9400, token: { env: 'PORTICO_ADMIN_TOKEN' } }).success).toBe(true);
    expect(adminSchema.safeParse({ host: '127.0.0.1', port: 9400 }).success).toBe(true);
  });

  it('reads the token at start-up and names file and key when it is short; unset on loopback, /admin/* is off', async () => {
    const root = path.join(repoRoot, 'portico.config.ts');
    // `portico plan` and `portico check` read this config too and serve no /admin/*.
    expect((await loadConfig(root, { ...minimalEnv })).admin!.bearerToken).toBeUndefined();
    await expect(loadConfig(root, { ...minimalEnv, PORTICO_ADMIN_TOKEN: 'short' })).rejects.toThrow(/admin\.token\.env: the token must have at least 32 characters/);
    const config = await loadConfig(root, { ...minimalEnv, PORTICO_ADMIN_TOKEN: TOKEN32 });
    expect(config.admin!.bearerToken).toBe(TOKEN32);
  });
});

const TOKEN32 = 'x'.repeat(32);
const minimalEnv = { IDP_URL: 'http://127.0.0.1:9' };
