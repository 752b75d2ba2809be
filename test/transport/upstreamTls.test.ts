import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createSecureServer, type Http2SecureServer, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TLSSocket } from 'node:tls';
import type { GraphQLError } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/configError.js';
import { loadUpstreamTls } from '../../src/config/loadUpstreamTls.js';
import { upstreamTlsSchema, type UpstreamTlsMaterial } from '../../src/config/upstreamTlsSchema.js';
import { createHttpClient, type HttpClient, type UpstreamRequest } from '../../src/transport/httpClient.js';
import { createTestCa, type TestCa } from '../support/certificates.js';

// Issue 20, upstream TLS, with real TLS: a private CA and certificates made by openssl for this
// file, two real sources on loopback (one that speaks HTTP/2 and HTTP/1.1, one that requires a
// client certificate), and the gateway's own pool reaching them with the configured material.

/** What a source saw of one call. */
interface Seen {
  httpVersion: string;
  clientCn: string | null;
}

function answer(req: IncomingMessage | Http2ServerRequest, res: ServerResponse | Http2ServerResponse): void {
  const socket = req.socket as TLSSocket;
  const peer = socket.getPeerX509Certificate?.();
  const seen: Seen = { httpVersion: req.httpVersion, clientCn: peer ? (/CN=([^\n]+)/.exec(peer.subject)?.[1] ?? null) : null };
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify(seen));
}

async function listen(server: HttpsServer | Http2SecureServer): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
}

let ca: TestCa;
let otherCa: TestCa;
let dir: string;
/** TLS with a private CA; speaks HTTP/2 and HTTP/1.1 (ALPN). */
let privateSource: Http2SecureServer;
let privateUrl: string;
/** TLS with a private CA that requires a client certificate from that CA. */
let mtlsSource: HttpsServer;
let mtlsUrl: string;
let http: HttpClient;

beforeAll(async () => {
  ca = createTestCa();
  otherCa = createTestCa();
  dir = mkdtempSync(path.join(tmpdir(), 'portico-upstream-tls-'));
  const server = ca.issue('source');
  const serverPair = { cert: readFileSync(server.certFile), key: readFileSync(server.keyFile) };
  privateSource = createSecureServer({ ...serverPair, allowHTTP1: true }, answer);
  privateUrl = await listen(privateSource);
  mtlsSource = createHttpsServer({ ...serverPair, ca: ca.caPem, requestCert: true, rejectUnauthorized: true }, answer);
  mtlsUrl = await listen(mtlsSource);
  ca.issue('gateway', { client: true, commonName: 'portico-gateway' });
  otherCa.issue('gateway', { client: true, commonName: 'portico-gateway' });
  http = createHttpClient({ dedupeInFlight: false });
});

afterAll(async () => {
  await http.close();
  privateSource.close();
  mtlsSource.close();
  ca.dispose();
  otherCa.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** A source's `tls` as the loader reads it, relative to a sources file in the CA's folder. */
function material(tls: unknown, file = path.join(ca.dir, 'sources.ts')): Promise<UpstreamTlsMaterial> {
  return loadUpstreamTls('orders', upstreamTlsSchema.parse(tls), file);
}

function call(source: string, url: string): Promise<Seen> {
  const request: UpstreamRequest = { source, method: 'POST', url, headers: { 'content-type': 'application/json' }, body: '{}' };
  return http.call(request).then((response) => JSON.parse(response.body) as Seen);
}

async function refusal(source: string, url: string): Promise<{ code: unknown; cause: string | undefined }> {
  const error = (await call(source, url).then(
    () => undefined,
    (failure: unknown) => failure,
  )) as GraphQLError | undefined;
  expect(error, 'the call should have been refused').toBeDefined();
  return { code: error!.extensions.code, cause: (error!.originalError as NodeJS.ErrnoException | undefined)?.code };
}

describe('a source served over TLS by a private CA', () => {
  beforeAll(async () => {
    http.useSources({
      orders: { tlsMaterial: await material({ caFile: 'ca.crt' }) },
      h2: { tlsMaterial: await material({ caFile: 'ca.crt', http2: true }) },
      'wrong-ca': { tlsMaterial: await material({ caFile: otherCa.caFile }) },
      plain: {},
    });
  });

  it('is reached with the configured CA bundle (HTTP/1.1 unless asked for HTTP/2)', async () => {
    expect(await call('orders', privateUrl)).toEqual({ httpVersion: '1.1', clientCn: null });
  });

  it('is refused without the bundle, and with a bundle of another CA: SUBGRAPH_UNAVAILABLE', async () => {
    expect(await refusal('plain', privateUrl)).toEqual({ code: 'SUBGRAPH_UNAVAILABLE', cause: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
    expect(await refusal('wrong-ca', privateUrl)).toEqual({ code: 'SUBGRAPH_UNAVAILABLE', cause: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  it('speaks HTTP/2 to the source when the source asks for it: the source sees httpVersion 2.0', async () => {
    const answers = await Promise.all([call('h2', privateUrl), call('h2', privateUrl), call('h2/subgraph', privateUrl)]);
    expect(answers.map((seen) => seen.httpVersion)).toEqual(['2.0', '2.0', '2.0']);
  });
});

describe('a source that requires a client certificate', () => {
  beforeAll(async () => {
    http.useSources({
      orders: { tlsMaterial: await material({ caFile: 'ca.crt', certFile: 'gateway.crt', keyFile: 'gateway.key' }) },
      'no-cert': { tlsMaterial: await material({ caFile: 'ca.crt' }) },
      'other-ca-cert': { tlsMaterial: await material({ caFile: 'ca.crt', certFile: path.join(otherCa.dir, 'gateway.crt'), keyFile: path.join(otherCa.dir, 'gateway.key') }) },
    });
  });

  it('is reached with the configured certificate and key, which the source sees', async () => {
    expect(await call('orders', mtlsUrl)).toEqual({ httpVersion: '1.1', clientCn: 'portico-gateway' });
  });

  it('refuses the gateway without a certificate, or with one its CA did not issue', async () => {
    expect((await refusal('no-cert', mtlsUrl)).code).toBe('SUBGRAPH_UNAVAILABLE');
    expect((await refusal('other-ca-cert', mtlsUrl)).code).toBe('SUBGRAPH_UNAVAILABLE');
  });

  it('a reload that drops the certificate applies from the next call on', async () => {
    http.useSources({ orders: { tlsMaterial: await material({ caFile: 'ca.crt' }) } });
    expect((await refusal('orders', mtlsUrl)).code).toBe('SUBGRAPH_UNAVAILABLE');
    http.useSources({ orders: { tlsMaterial: await material({ caFile: 'ca.crt', certFile: 'gateway.crt', keyFile: 'gateway.key' }) } });
    expect((await call('orders', mtlsUrl)).clientCn).toBe('portico-gateway');
  });
});

describe('upstream TLS config', () => {
  const problem = (promise: Promise<unknown>) =>
    promise.then(
      () => 'loaded',
      (error: unknown) => (error instanceof ConfigError ? `${error.key}: ${error.problem}` : String(error)),
    );

  it('names the key and the file it cannot read', async () => {
    const file = path.join(dir, 'sources.ts');
    expect(await problem(material({ caFile: 'missing-ca.pem' }, file))).toBe(`orders.tls.caFile: cannot read ${path.join(dir, 'missing-ca.pem')} (ENOENT)`);
    expect(await problem(material({ caFile: ca.caFile, certFile: 'nope.crt', keyFile: 'nope.key' }, file))).toMatch(/^orders\.tls\.certFile: cannot read .*nope\.crt \(ENOENT\)$/);
  });

  it('refuses a CA file without a certificate, and a certificate with the wrong key', async () => {
    writeFileSync(path.join(dir, 'empty.pem'), 'not a certificate\n');
    expect(await problem(material({ caFile: path.join(dir, 'empty.pem') }))).toMatch(/^orders\.tls\.caFile: .*holds no PEM certificate$/);
    const mismatched = { certFile: 'gateway.crt', keyFile: path.join(otherCa.dir, 'gateway.key') };
    expect(await problem(material(mismatched))).toMatch(/^orders\.tls: "certFile" and "keyFile" do not form a usable pair/);
  });

  it('refuses a certificate without its key, and unknown keys', () => {
    expect(upstreamTlsSchema.safeParse({ certFile: 'a.crt' }).error?.issues[0]).toMatchObject({ path: ['certFile'], message: expect.stringMatching(/together/) });
    expect(upstreamTlsSchema.safeParse({ caFile: 'ca.crt', rejectUnauthorized: false }).success).toBe(false);
  });
});
