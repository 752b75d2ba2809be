import { tmpdir } from 'node:os';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as pause } from 'node:timers/promises';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gql, repoRoot, startTestPortico, type TestPortico } from '../../support/portico.js';
import { startRedis, type RedisHandle } from '../../support/redis.js';
import { startAllSubgraphs, type SubgraphSet } from '../../support/subgraphs.js';
import { startIdp, type Idp } from '../../support/tokens.js';

// The operator console in a real browser (Debian's chromium, driven by puppeteer-core) against the
// demo's three BFFs over real subgraph processes, with a real Redis so the fleet view is on.
const CONFIG = path.join(import.meta.dirname, 'portico.config.ts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// docs/console.png is refreshed on demand (UPDATE_SCREENSHOTS=1 npm test); an ordinary run writes
// its screenshot to the temp folder, so the suite never leaves the work tree changed.
const SCREENSHOT = process.env.UPDATE_SCREENSHOTS === '1' ? path.join(repoRoot, 'docs', 'console.png') : path.join(tmpdir(), 'portico-console.png');

let subgraphs: SubgraphSet;
let idp: Idp;
let redis: RedisHandle;
let portico: TestPortico;
let browser: Browser;
let page: Page;
let token: string;

beforeAll(async () => {
  // Generous start-up limits: the machine may be shared and busy; the test's own limits are below.
  [subgraphs, redis] = await Promise.all([startAllSubgraphs({}, { readyTimeoutMs: 120_000 }), startRedis()]);
  idp = await startIdp({ readyTimeoutMs: 120_000 });
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    // New headless mode; no sandbox (root in CI containers); no GPU; /dev/shm is small in containers.
    args: ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    protocolTimeout: 60_000,
  });
  portico = await startTestPortico(subgraphs, { config: CONFIG, env: { IDP_URL: idp.url, REDIS_URL: redis.url } });
  token = await idp.issue({ sub: 'u1', aud: 'portico-web', scopes: ['products:read', 'inventory:read', 'orders:read'] });
  page = await browser.newPage();
  await page.setViewport({ width: 1440, height: 1100 });
}, 300_000);

afterAll(async () => {
  await browser?.close();
  await portico?.close(0);
  await Promise.all([subgraphs?.[Symbol.asyncDispose](), idp?.stop(), redis?.stop()]);
});

/**
 * Web queries that read stock (three inventory calls each), `workers` at a time until stopped;
 * distinct pages so concurrent queries are not merged into one upstream exchange. `paceMs`
 * keeps a background trickle from eating the two cores the browser needs too.
 */
function traffic(workers: number, paceMs: number) {
  let running = true;
  let sent = 0;
  const loops = Array.from({ length: workers }, async (_, w) => {
    while (running) {
      const pageNo = 1 + ((sent++ + w) % 5);
      await gql(portico.bff('web').url, `{ products(page: ${pageNo}, pageSize: 3) { items { id name stock { available } } } }`, undefined, {
        authorization: `Bearer ${token}`,
      }).catch(() => undefined);
      if (paceMs > 0) await pause(paceMs);
    }
  });
  return {
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

const breakerText = (source: string) =>
  page.$eval(`[data-source="${source}"] [data-breaker]`, (node) => node.textContent ?? '').catch(() => undefined);

/** Resolves once the page shows `source`'s breaker as `state`; rejects after `timeoutMs`. */
function breakerShown(source: string, state: string, timeoutMs: number) {
  return page.waitForFunction(
    (name, want) => document.querySelector(`[data-source="${name}"] [data-breaker]`)?.textContent === want,
    { timeout: timeoutMs, polling: 'mutation' },
    source,
    state,
  );
}

describe('the operator console', () => {
  it('shows every BFF and source live, and a breaker opening within 2 s of its source failing, then closing after recovery', async () => {
    const background = traffic(1, 50);
    try {
      const response = await page.goto(`${portico.admin!.url}/console`, { waitUntil: 'domcontentloaded' });
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).toContain("default-src 'self'");
      await page.waitForSelector('#status[data-status="live"]', { timeout: 5_000 });

      const bffs = await page.$$eval('[data-bff]', (nodes) => nodes.map((node) => node.getAttribute('data-bff')));
      expect(bffs.sort()).toEqual(['mobile', 'partner', 'web']);
      await page.waitForFunction(() => document.querySelectorAll('[data-source]').length >= 4, { timeout: 5_000 });
      const sources = await page.$$eval('[data-source]', (nodes) => nodes.map((node) => node.getAttribute('data-source')));
      expect(sources.sort()).toEqual(['inventory', 'orders/orders', 'products', 'users']);
      expect(await breakerText('inventory')).toBe('closed');
      // One latency and one rate chart per card, drawn as SVG.
      expect(await page.$$eval('[data-source="inventory"] svg.chart', (nodes) => nodes.length)).toBe(2);
      // With Redis, the fleet view lists this instance, live.
      await page.waitForSelector(`#fleet tr[data-instance][data-stale="false"]`, { timeout: 5_000 });
      // The demo serves subscriptions (orderStatusChanged); none is open.
      expect(await page.$eval('#subscriptions-section', (node) => (node as HTMLElement).hidden)).toBe(false);
      expect(await page.$eval('#subscriptions', (node) => node.textContent)).toBe('0');

      // Fault: every inventory call answers 500. The page must show `open` within 2 s.
      await subgraphs.inventory.setFaults({ errorRate: 1 });
      const failedAt = performance.now();
      const shownAt = breakerShown('inventory', 'open', 10_000).then(() => performance.now());
      // Queries until the breaker opens, then no more: with the breaker open they would fail fast
      // in a tight loop and take the CPU the page needs to show it.
      const burst = traffic(4, 0);
      let trippedMs = NaN;
      const tripped = new Promise<void>((resolve) => {
        const stop = portico.sources.onStateChange((source, state) => {
          if (source !== 'inventory' || state !== 'open') return;
          trippedMs = performance.now() - failedAt;
          stop();
          resolve();
        });
      });
      await Promise.race([tripped, shownAt]).finally(() => burst.stop());
      const openMs = (await shownAt) - failedAt;
      console.info(`[console] inventory breaker opened ${trippedMs.toFixed(0)} ms and was shown open ${openMs.toFixed(0)} ms after the fault was set`);
      expect(openMs).toBeLessThan(2_000);
      expect(portico.sources.health().inventory?.breaker).not.toBe('closed');

      // Recovery: the half-open probe (the background traffic) succeeds and the page shows `closed`.
      await subgraphs.inventory.reset();
      await breakerShown('inventory', 'closed', 8_000);
      const states = await page.$$eval('#breaker-history tbody tr', (rows) => rows.map((row) => [row.children[1]?.textContent, row.children[2]?.textContent]));
      expect(states.filter(([source]) => source === 'inventory').map(([, state]) => state)).toEqual(
        expect.arrayContaining(['open', 'half-open', 'closed']),
      );
      // The failed calls are in the source's figures (calls and errors over the window).
      const figures = await page.$eval('[data-source="inventory"] .stats', (node) => node.textContent ?? '');
      expect(figures).toMatch(/calls \(15 min\) [1-9]/);
      expect(figures).toMatch(/errors \(15 min\) [1-9]/);

      await mkdir(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
    } finally {
      await background.stop();
    }
  });
});
