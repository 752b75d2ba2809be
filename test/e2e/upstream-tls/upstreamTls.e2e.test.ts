import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createSecureServer, type Http2SecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/config/configError.js';
import { loadConfig } from '../../../src/config/loadConfig.js';
import { startPortico, type Portico } from '../../../src/runtime/startPortico.js';
import { createTestCa, type TestCa } from '../../support/certificates.js';
import { gql } from '../../support/portico.js';

// Issue 20, upstream TLS through the whole gateway: a config folder as operators write it, a
// GraphQL source served over TLS by a private CA (HTTP/2 and HTTP/1.1 by ALPN, in this process on
// a free port), `startPortico` wiring the source's pool, and reloads changing its `tls`.

let ca: TestCa;
let dir: string;
let source: Http2SecureServer;
let sourceUrl: string;
let portico: Portico;
const seen: string[] = [];

function writeSources(tls: Record<string, unknown> | undefined): void {
  // No breaker and no fallback answers: each answer here is the source's own or a refusal.
  const resilience = { breaker: { enabled: false }, fallback: { enabled: false } };
  const hello = { kind: 'graphql', url: sourceUrl, schema: './hello.graphql', resilience, ...(tls ? { tls } : {}) };
  writeFileSync(path.join(dir, 'sources.ts'), `export default ${JSON.stringify({ hello })};\n`);
}

const load = () => loadConfig(path.join(dir, 'portico.config.ts'), {}, { fresh: true });
const ask = async () => (await gql(portico.bffs[0]!.url, '{ hello }')).body;

beforeAll(async () => {
  ca = createTestCa();
  const pair = ca.issue('source');
  // The source answers with the HTTP version it was spoken to in.
  source = createSecureServer({ cert: readFileSync(pair.certFile), key: readFileSync(pair.keyFile), allowHTTP1: true }, (req, res) => {
    seen.push(req.httpVersion);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ data: { hello: `over HTTP/${req.httpVersion}` } }));
  });
  await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
  sourceUrl = `https://127.0.0.1:${(source.address() as AddressInfo).port}/graphql`;

  dir = mkdtempSync(path.join(tmpdir(), 'portico-upstream-tls-e2e-'));
  mkdirSync(path.join(dir, 'bffs', 'app'), { recursive: true });
  writeFileSync(path.join(dir, 'portico.config.ts'), `export default ${JSON.stringify({ sources: './sources.ts', bffs: ['./bffs/app'] })};\n`);
  writeFileSync(path.join(dir, 'hello.graphql'), 'type Query { hello: String }\n');
  writeFileSync(path.join(dir, 'bffs', 'app', 'bff.config.ts'), `export default ${JSON.stringify({ name: 'app', port: 0, sources: ['hello'], authz: { defaultPolicy: 'public' } })};\n`);
  writeFileSync(path.join(dir, 'internal-ca.pem'), ca.caPem);
  writeSources({ caFile: './internal-ca.pem', http2: true });
  portico = await startPortico(await load(), { logger: pino({ level: 'silent' }), loadConfig: load });
});

afterAll(async () => {
  await portico?.close(0);
  source.close();
  ca.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('a source over TLS with a private CA, through the gateway', () => {
  it('is reached with the configured CA bundle, over HTTP/2 as configured (the source sees 2.0)', async () => {
    expect(await ask()).toEqual({ data: { hello: 'over HTTP/2.0' } });
    expect(seen.at(-1)).toBe('2.0');
  });

  it('lists the TLS files among the files a reload watches (reload.watch)', async () => {
    expect((await load()).files).toContain(path.join(dir, 'internal-ca.pem'));
  });

  it('is refused once a reload removes the bundle, and reached again once it is back', async () => {
    writeSources(undefined);
    expect((await portico.reload('admin')).ok).toBe(true);
    const refused = await ask();
    expect(refused.data).toEqual({ hello: null });
    expect(refused.errors?.[0]?.extensions?.code).toBe('SUBGRAPH_UNAVAILABLE');

    writeSources({ caFile: './internal-ca.pem' });
    expect((await portico.reload('admin')).ok).toBe(true);
    // HTTP/1.1 now: http2 is off in this config.
    expect(await ask()).toEqual({ data: { hello: 'over HTTP/1.1' } });
  });

  it('refuses a config whose TLS file cannot be read, naming file and key, and keeps serving', async () => {
    writeSources({ caFile: './missing-ca.pem' });
    const error = await load().then(
      () => undefined,
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toMatch(/sources\.ts: hello\.tls\.caFile: cannot read .*missing-ca\.pem \(ENOENT\)$/);
    const outcome = await portico.reload('admin');
    expect(outcome.ok).toBe(false);
    expect(await ask()).toEqual({ data: { hello: 'over HTTP/1.1' } });
  });
});
