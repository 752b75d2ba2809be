import { once } from 'node:events';
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect as h2connect } from 'node:http2';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedBff } from '../../../src/config/loadConfig.js';
import { ConfigError } from '../../../src/config/configError.js';
import { bffSchema, type BffConfigInput } from '../../../src/config/schema.js';
import { createReadiness } from '../../../src/context/readiness.js';
import type { PorticoContext } from '../../../src/context/requestScope.js';
import { hashApiKey } from '../../../src/plugins/auth/apiKeys.js';
import { buildPipeline } from '../../../src/pipeline/buildPipeline.js';
import { startBffServer, type RunningBff } from '../../../src/server/createBffServer.js';
import { createTestCa, type TestCa } from '../../support/certificates.js';
import { http2Post } from '../../support/http2Post.js';

// Issue 20, partner mTLS, over real TLS: two CAs and their certificates made by openssl for this
// file, node's HTTPS and HTTP/2 clients presenting them, a BFF listener asking for them and the
// whole pipeline behind it (the 401s are the pipeline's own, masking included).

const schema = makeExecutableSchema({
  typeDefs: 'type Query { whoami: String }',
  resolvers: {
    Query: {
      whoami: (_root: unknown, _args: unknown, context: PorticoContext) => {
        const { kind, subject, tenant } = context.portico.principal;
        return `${kind}:${subject}:${tenant ?? ''}`;
      },
    },
  },
});
const BODY = JSON.stringify({ query: '{ whoami }' });
const ACME_KEY = 'pk_test_acme_3f9a7c1e5b2d8f4a6c0e';
const GLOBEX_KEY = 'pk_test_globex_8d2b6f0a4c7e1b9d3f5a';

interface Answer {
  status: number;
  body: { data?: { whoami: string | null } | null; errors?: { message: string; extensions: Record<string, unknown> }[] };
  wwwAuthenticate: string | undefined;
}

interface Client {
  certFile?: string;
  keyFile?: string;
  headers?: Record<string, string>;
}

let ca: TestCa;
let otherCa: TestCa;
let certs: Record<'acme' | 'globex' | 'initech' | 'stranger' | 'expired' | 'foreign', { certFile: string; keyFile: string }>;

beforeAll(() => {
  ca = createTestCa();
  otherCa = createTestCa();
  certs = {
    // Allow-listed by subject (CN and O).
    acme: ca.issue('acme', { client: true, commonName: 'acme-gateway', subject: '/O=Acme Corp' }),
    // Allow-listed by fingerprint only.
    globex: ca.issue('globex', { client: true, commonName: 'globex-batch' }),
    // Allow-listed by a URI SAN.
    initech: ca.issue('initech', { client: true, commonName: 'whatever', san: ['URI:spiffe://initech.example/gateway', 'DNS:gw.initech.example'] }),
    // Issued by the right CA, on no list.
    stranger: ca.issue('stranger', { client: true, commonName: 'stranger' }),
    // The right CA and the right subject, expired.
    expired: ca.issue('expired', { client: true, commonName: 'acme-gateway', subject: '/O=Acme Corp', days: -1 }),
    // The right subject from a CA the gateway does not trust.
    foreign: otherCa.issue('acme', { client: true, commonName: 'acme-gateway', subject: '/O=Acme Corp' }),
  };
});
afterAll(() => {
  ca.dispose();
  otherCa.dispose();
});

function partners() {
  return [
    { id: 'acme', subject: { CN: 'acme-gateway', O: 'Acme Corp' }, tenant: 't-acme', plan: 'pro', scopes: ['orders:read'] },
    { id: 'globex', fingerprint256: new X509Certificate(readFileSync(certs.globex.certFile)).fingerprint256, tenant: 't-globex', plan: 'free' },
    { id: 'initech', san: 'URI:spiffe://initech.example/gateway', tenant: 't-initech', plan: 'free' },
  ];
}

function apiKeys() {
  return {
    enabled: true,
    keys: [
      { id: 'acme-key', hash: hashApiKey(ACME_KEY), tenant: 't-acme', plan: 'pro' },
      { id: 'globex-key', hash: hashApiKey(GLOBEX_KEY), tenant: 't-globex', plan: 'free' },
    ],
  };
}

async function startPartnerBff(auth: BffConfigInput['auth'], extra: Partial<BffConfigInput> = {}): Promise<RunningBff> {
  const logger = pino({ level: 'silent' });
  const server = ca.issue('server');
  const input: BffConfigInput = {
    name: 'partner',
    port: 0,
    sources: ['none'],
    production: true,
    tls: { ...server, clientCaFile: ca.caFile, watch: false },
    auth,
    ...extra,
  };
  const bff: LoadedBff = { ...bffSchema.parse(input), file: '/' };
  const pipeline = buildPipeline(bff, { logger, readiness: createReadiness() });
  return startBffServer({ bff, schema, ...pipeline, logger });
}

/** One POST over its own connection (no agent: a pooled socket would carry another test's certificate). */
function post(bff: RunningBff, client: Client = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const options: RequestOptions = {
      method: 'POST',
      ca: ca.caPem,
      agent: false,
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...client.headers },
      ...(client.certFile ? { cert: readFileSync(client.certFile), key: readFileSync(client.keyFile!) } : {}),
    };
    const req = httpsRequest(bff.url, options, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(text) as Answer['body'], wwwAuthenticate: res.headers['www-authenticate'] }));
    });
    req.on('error', reject);
    req.end(BODY);
  });
}

/** The keys of a refusal, at every level: what a client's error handling depends on. */
function shapeOf(answer: Answer) {
  return {
    status: answer.status,
    top: Object.keys(answer.body).sort(),
    error: Object.keys(answer.body.errors?.[0] ?? {}).sort(),
    extensions: Object.keys(answer.body.errors?.[0]?.extensions ?? {}).sort(),
    code: answer.body.errors?.[0]?.extensions.code,
    message: answer.body.errors?.[0]?.message,
  };
}

describe("partnerCredentials: 'either' (a certificate or an API key), anonymous denied", () => {
  let bff: RunningBff;
  let badKey: Answer;
  beforeAll(async () => {
    bff = await startPartnerBff({ apiKeys: apiKeys(), clientCertificates: { partners: partners() }, partnerCredentials: 'either', anonymous: 'deny' });
    badKey = await post(bff, { headers: { 'x-api-key': 'pk_not_a_key_of_ours' } });
  });
  afterAll(() => bff.close(0));

  it('a bad API key is the reference refusal: 401 UNAUTHENTICATED with a reason', () => {
    expect(badKey.status).toBe(401);
    expect(badKey.body.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED', reason: 'invalid_api_key' });
  });

  it.each([
    ['acme', 'by subject (CN and O)', 'certificate:acme:t-acme'],
    ['globex', 'by SHA-256 fingerprint', 'certificate:globex:t-globex'],
    ['initech', 'by a URI subjectAltName', 'certificate:initech:t-initech'],
  ] as const)('accepts the allow-listed certificate of %s (%s): the principal is that partner', async (name, _how, whoami) => {
    const answer = await post(bff, certs[name]);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ data: { whoami } });
  });

  it.each([
    ['no certificate and no other credential', {}, 'credentials_required'],
    ['a certificate from a CA the gateway does not trust', certs_('foreign'), 'client_certificate_invalid'],
    ['an expired certificate from the right CA', certs_('expired'), 'client_certificate_expired'],
    ['a certificate of the right CA on no allow-list', certs_('stranger'), 'client_certificate_not_allowed'],
  ] as const)('refuses %s with 401 UNAUTHENTICATED, the same body shape as a bad API key', async (_case, client, reason) => {
    const answer = await post(bff, typeof client === 'function' ? client() : client);
    expect(answer.status).toBe(401);
    expect(answer.body.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED', reason });
    expect(shapeOf(answer)).toEqual(shapeOf(badKey));
    expect(answer.body).not.toHaveProperty('data.whoami');
    expect(answer.wwwAuthenticate).toMatch(/realm="partner"/);
  });

  it('takes identity from the TLS session only: certificate headers sent by the client are ignored', async () => {
    const pem = readFileSync(certs.acme.certFile, 'utf8');
    const forged = {
      'x-client-cert': encodeURIComponent(pem),
      'x-ssl-client-cert': encodeURIComponent(pem),
      'x-forwarded-client-cert': 'Hash=abc;Subject="CN=acme-gateway,O=Acme Corp";URI=spiffe://initech.example/gateway',
      'x-ssl-client-s-dn': 'CN=acme-gateway,O=Acme Corp',
    };
    const without = await post(bff, { headers: forged });
    expect(without.status).toBe(401);
    expect(without.body.errors?.[0]?.extensions.reason).toBe('credentials_required');
    // With a real certificate of another partner, the headers do not change who it is either.
    const withGlobex = await post(bff, { ...certs.globex, headers: forged });
    expect(withGlobex.body).toEqual({ data: { whoami: 'certificate:globex:t-globex' } });
  });

  it('serves API-key partners on the same port, without a certificate', async () => {
    const answer = await post(bff, { headers: { 'x-api-key': ACME_KEY } });
    expect(answer.body).toEqual({ data: { whoami: 'apiKey:acme-key:t-acme' } });
  });

  it('refuses a certificate and an API key together (one credential, not two)', async () => {
    const answer = await post(bff, { ...certs.acme, headers: { 'x-api-key': ACME_KEY } });
    expect(answer.status).toBe(401);
    expect(answer.body.errors?.[0]?.extensions.reason).toBe('ambiguous_credentials');
  });

  it('identifies the partner over HTTP/2 too, on every stream of the connection', async () => {
    const session = h2connect(`https://127.0.0.1:${bff.port}`, { ca: ca.caPem, cert: readFileSync(certs.initech.certFile), key: readFileSync(certs.initech.keyFile) });
    const ask = async () => {
      const { status, body } = await http2Post(session, BODY);
      return { status, body: JSON.parse(body) as unknown };
    };
    try {
      expect(session.alpnProtocol ?? (await once(session, 'connect'), session.alpnProtocol)).toBe('h2');
      for (const answer of await Promise.all([ask(), ask(), ask()])) {
        expect(answer).toEqual({ status: 200, body: { data: { whoami: 'certificate:initech:t-initech' } } });
      }
    } finally {
      session.close();
    }
  });
});

describe("partnerCredentials: 'both' (certificate and API key of one partner), anonymous allowed", () => {
  let bff: RunningBff;
  beforeAll(async () => {
    bff = await startPartnerBff(
      { apiKeys: apiKeys(), clientCertificates: { partners: partners() }, partnerCredentials: 'both', anonymous: 'allow' },
      { authz: { defaultPolicy: 'public' } },
    );
  });
  afterAll(() => bff.close(0));

  it('accepts the certificate with a key of the same partner', async () => {
    const answer = await post(bff, { ...certs.acme, headers: { 'x-api-key': ACME_KEY } });
    expect(answer.body).toEqual({ data: { whoami: 'certificate:acme:t-acme' } });
  });

  it.each([
    ['a valid API key without a certificate', () => ({ headers: { 'x-api-key': ACME_KEY } }), 'client_certificate_required'],
    ['a certificate without an API key', () => ({ ...certs.acme }), 'api_key_required'],
    ["a certificate with another partner's key", () => ({ ...certs.acme, headers: { 'x-api-key': GLOBEX_KEY } }), 'credentials_mismatch'],
    ['a good key with a certificate on no list', () => ({ ...certs.stranger, headers: { 'x-api-key': ACME_KEY } }), 'client_certificate_not_allowed'],
  ] as const)('refuses %s with 401', async (_case, client, reason) => {
    const answer = await post(bff, client());
    expect(answer.status).toBe(401);
    expect(answer.body.errors?.[0]?.extensions).toEqual({ code: 'UNAUTHENTICATED', reason });
  });

  it('still serves clients without any credential where the config allows them (same port)', async () => {
    const answer = await post(bff);
    expect(answer.body).toEqual({ data: { whoami: 'anonymous::' } });
  });
});

describe('the client CA on the listener', () => {
  const auth = () => ({ clientCertificates: { partners: partners() }, partnerCredentials: 'certificate' as const, anonymous: 'deny' as const });

  it('survives a rotation of the server certificate: partners are still verified on new connections', async () => {
    let reloaded: () => void = () => {};
    const reloadLogged = new Promise<void>((resolve) => (reloaded = resolve));
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        if (chunk.toString().includes('tls certificate reloaded')) reloaded();
        done();
      },
    });
    const watched = await startWatched(ca.issue('server'), auth(), pino(sink));
    try {
      expect((await post(watched, certs.acme)).body).toEqual({ data: { whoami: 'certificate:acme:t-acme' } });
      ca.issue('server');
      await reloadLogged;
      // A new connection, on the new context: the CA must have come along with the new pair.
      expect((await post(watched, certs.acme)).body).toEqual({ data: { whoami: 'certificate:acme:t-acme' } });
      expect((await post(watched, certs.foreign)).body.errors?.[0]?.extensions.reason).toBe('client_certificate_invalid');
    } finally {
      await watched.close(0);
    }
  });

  it('refuses to start with a client CA file that holds no certificate, naming the key', async () => {
    const server = ca.issue('server');
    const error = await startPartnerBff(auth(), { tls: { ...server, clientCaFile: server.keyFile, watch: false } }).then(
      async (bff) => {
        await bff.close(0);
        return undefined;
      },
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).key).toBe('tls.clientCaFile');
    expect((error as ConfigError).problem).toMatch(/holds no PEM certificate$/);
  });
});

async function startWatched(server: { certFile: string; keyFile: string }, auth: BffConfigInput['auth'], logger: Logger): Promise<RunningBff> {
  const bff: LoadedBff = {
    ...bffSchema.parse({ name: 'partner', port: 0, sources: ['none'], production: true, tls: { ...server, clientCaFile: ca.caFile, watch: true }, auth }),
    file: '/',
  };
  return startBffServer({ bff, schema, ...buildPipeline(bff, { logger, readiness: createReadiness() }), logger });
}

/** A certificate by name, read when the test runs (the table is built before beforeAll). */
function certs_(name: 'foreign' | 'expired' | 'stranger'): () => Client {
  return () => certs[name];
}
