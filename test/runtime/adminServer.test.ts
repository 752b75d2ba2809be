import { pino } from 'pino';
import { Counter, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { startAdminServer } from '../../src/runtime/adminServer.js';

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
