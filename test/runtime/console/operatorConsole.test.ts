import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createConsoleFeed } from '../../../src/observability/console/consoleFeed.js';
import { startAdminServer } from '../../../src/runtime/adminServer.js';
import { createOperatorConsole } from '../../../src/runtime/console/operatorConsole.js';
import type { ConsoleSnapshot } from '../../../src/runtime/console/consoleSnapshot.js';

const logger = pino({ level: 'silent' });

/** Reads server-sent events from a fetch body, one `snapshot` at a time. */
function eventReader(body: ReadableStream<Uint8Array>) {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  return async function next(): Promise<ConsoleSnapshot> {
    for (;;) {
      const end = buffer.indexOf('\n\n');
      if (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split('\n').find((line) => line.startsWith('data: '));
        if (block.includes('event: snapshot') && data) return JSON.parse(data.slice(6)) as ConsoleSnapshot;
        continue;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error('stream ended');
      buffer += decoder.decode(value, { stream: true });
    }
  };
}

function setup(options: { subscriptions?: number } = {}) {
  const feed = createConsoleFeed();
  const breakers: Record<string, { breaker: string }> = { inventory: { breaker: 'closed' }, users: { breaker: 'closed' } };
  const operatorConsole = createOperatorConsole({
    feed,
    instanceId: 'instance-1',
    configVersion: () => 3,
    bffs: () => ['web', 'partner'],
    breakers: () => breakers,
    ...(options.subscriptions !== undefined ? { subscriptions: () => options.subscriptions } : {}),
    // Long enough that only push() can deliver the second event within the test.
    pushMs: 60_000,
  });
  return { feed, breakers, operatorConsole };
}

describe('the operator console', () => {
  it('serves its page and assets from the process, with a policy that forbids anything else', async () => {
    const { operatorConsole } = setup();
    const admin = await startAdminServer({ host: '127.0.0.1', port: 0, registry: new Registry(), logger, console: operatorConsole });
    try {
      const page = await fetch(`${admin.url}/console`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      const html = await page.text();
      // No CDN: every script and stylesheet is one of the console's own files.
      expect([...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1])).toEqual(['/console/console.css', '/console/console.js']);
      expect((await fetch(`${admin.url}/console/console.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expect((await fetch(`${admin.url}/console/console.css`)).status).toBe(200);
      expect((await fetch(`${admin.url}/console/nope.js`)).status).toBe(404);
    } finally {
      await admin.close();
    }
  });

  it('streams a snapshot at once and another as soon as a breaker changes, listing every BFF and source', async () => {
    const { feed, breakers, operatorConsole } = setup();
    const admin = await startAdminServer({ host: '127.0.0.1', port: 0, registry: new Registry(), logger, console: operatorConsole });
    const aborter = new AbortController();
    try {
      feed.request('web', 'Home', 12, false, false, 3);
      const response = await fetch(`${admin.url}/console/events`, { signal: aborter.signal });
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      const next = eventReader(response.body!);
      const first = await next();
      expect(first).toMatchObject({ instanceId: 'instance-1', configVersion: 3 });
      expect(first.bffs.map((bff) => bff.name)).toEqual(['partner', 'web']);
      expect(first.sources.map((source) => [source.name, source.breaker])).toEqual([
        ['inventory', 'closed'],
        ['users', 'closed'],
      ]);
      expect(first.bffs.find((bff) => bff.name === 'web')!.totals.requests).toBe(1);
      // No subscriptions and no fleet: the page hides both sections.
      expect('subscriptions' in first).toBe(false);
      expect('fleet' in first).toBe(false);

      breakers.inventory = { breaker: 'open' };
      feed.breaker('inventory', 'open');
      operatorConsole.push();
      const second = await next();
      expect(second.sources.find((source) => source.name === 'inventory')!.breaker).toBe('open');
      expect(second.breakerHistory).toMatchObject([{ source: 'inventory', state: 'open' }]);
    } finally {
      aborter.abort();
      await admin.close();
    }
  });

  it('reports subscriptions when the process counts them, an explicit 0 included', async () => {
    const { operatorConsole } = setup({ subscriptions: 0 });
    expect(operatorConsole.snapshot().subscriptions).toBe(0);
  });

  it('serves /console to the host itself and keeps /admin/* behind the admin token; /metrics is not an operator route', async () => {
    const { operatorConsole } = setup();
    const admin = await startAdminServer({
      host: '127.0.0.1',
      port: 0,
      registry: new Registry(),
      logger,
      console: operatorConsole,
      actions: { '/admin/reload': async () => ({ status: 200, body: { ok: true } }) },
      bearerToken: 'let-me-in',
    });
    try {
      expect((await fetch(`${admin.url}/admin/reload`, { method: 'POST' })).status).toBe(401);
      expect((await fetch(`${admin.url}/admin/reload`, { method: 'POST', headers: { authorization: 'Bearer let-me-in' } })).status).toBe(200);
      expect((await fetch(`${admin.url}/metrics`)).status).toBe(200);
      const snapshot = await fetch(`${admin.url}/console/snapshot.json`);
      expect(snapshot.status).toBe(200);
      expect(((await snapshot.json()) as ConsoleSnapshot).instanceId).toBe('instance-1');
    } finally {
      await admin.close();
    }
  });
});
