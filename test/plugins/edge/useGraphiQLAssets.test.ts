import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { startPortico, type Portico } from '../../../src/runtime/startPortico.js';
import { writeConfigDir } from '../../support/configDir.js';

// Issue 16: GraphiQL showed a blank "Loading…" page offline, its assets coming from unpkg.com.
// A BFF (GraphiQL on) over the users source; the page needs no upstream (introspection is the
// gateway's own), and the browser test resolves no host but 127.0.0.1.
const CHROMIUM = '/usr/bin/chromium';

let portico: Portico;
let url: string;
let page: string;

beforeAll(async () => {
  const files = await writeConfigDir({ name: 'graphiql', bff: { name: 'app', port: 0, sources: ['users'] } });
  portico = await startPortico(await loadConfig(files.rootFile, {}), { logger: pino({ level: 'silent' }) });
  url = portico.bffs[0]!.url;
  const response = await fetch(url, { headers: { accept: 'text/html' } });
  expect(response.status).toBe(200);
  page = await response.text();
});
afterAll(() => portico?.close(0));

/** Every URL the page loads: src/href attributes and the Monaco worker URLs in its script. */
const referencedUrls = (html: string) => [
  ...[...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((m) => m[1]!),
  ...[...html.matchAll(/"(\/graphiql-assets\/[^"]+\.worker\.js)"/g)].map((m) => m[1]!),
];

describe('GraphiQL served offline (useGraphiQLAssets)', () => {
  it('renders a page that names no other host', () => {
    expect(page).toContain('renderYogaGraphiQL');
    expect(page).not.toMatch(/(https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}/i);
    const urls = referencedUrls(page);
    expect(urls.length).toBe(6); // favicon, stylesheet, script, three workers
    for (const reference of urls) expect(reference).toMatch(/^\/graphiql-assets\/\d+\.\d+\.\d+\/[\w.-]+$/);
  });

  it('serves every asset the page references with its content type and a cache lifetime', async () => {
    for (const reference of referencedUrls(page)) {
      const response = await fetch(new URL(reference, url));
      expect(response.status, reference).toBe(200);
      expect(response.headers.get('content-type'), reference).toMatch(/^(text\/css|text\/javascript|image\/x-icon)/);
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      expect((await response.arrayBuffer()).byteLength, reference).toBeGreaterThan(1000);
    }
  });

  it('answers 404 for a file it does not ship', async () => {
    const base = referencedUrls(page)[0]!.replace(/[^/]+$/, '');
    expect((await fetch(new URL(`${base}../../package.json`, url))).status).toBe(404);
    expect((await fetch(new URL(`${base}secrets.js`, url))).status).toBe(404);
  });

  it('renders the GraphiQL editor in headless chromium that can resolve no host but 127.0.0.1', async () => {
    const profile = await mkdtemp(path.join(tmpdir(), 'portico-chromium-'));
    try {
      const dom = await new Promise<string>((resolve, reject) => {
        const child = spawn(CHROMIUM, [
          '--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`,
          // Any lookup but loopback fails, as on a machine without internet.
          '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
          // Virtual time: the page's timers run as fast as it can go, for 8 s of page time.
          '--virtual-time-budget=8000', '--dump-dom', url,
        ], { stdio: ['ignore', 'pipe', 'ignore'] });
        let out = '';
        child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
        child.once('error', reject);
        child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`chromium exited with ${code}`))));
      });
      expect(dom).toContain('graphiql-container');
      // Monaco draws the query editor once its script and workers loaded.
      expect(dom).toMatch(/class="monaco-editor[ "]/);
      expect(dom).not.toContain('Loading');
    } finally {
      await rm(profile, { recursive: true, force: true });
    }
  }, 90_000);
});
