import { once } from 'node:events';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { connect as h2connect, constants as h2, type ClientHttp2Session } from 'node:http2';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { Writable } from 'node:stream';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedBff } from '../../src/config/loadConfig.js';
import { bffSchema, type BffConfigInput } from '../../src/config/schema.js';
import { useQueryLimits } from '../../src/plugins/limits/useQueryLimits.js';
import { startBffServer, type RunningBff } from '../../src/server/createBffServer.js';
import { createTestCa, type TestCa } from '../support/certificates.js';
import { http2Post } from '../support/http2Post.js';

// Real TLS: a CA and certificates made by openssl for this test, node's own HTTP/2 and HTTPS
// clients, a real listener. Waits are for events (log lines, frames, closes), not timers.

const schema = makeExecutableSchema({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'world' } } });
const BODY = JSON.stringify({ query: '{ hello }' });

/** Log lines as they are written, so a test can wait for one. */
function logSink() {
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: () => void }[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      const line = chunk.toString();
      lines.push(line);
      for (const waiter of waiters.filter((w) => w.pattern.test(line))) waiter.resolve();
      done();
    },
  });
  return {
    logger: pino(stream),
    waitFor: (pattern: RegExp) => new Promise<void>((resolve) => (lines.some((line) => pattern.test(line)) ? resolve() : waiters.push({ pattern, resolve }))),
  };
}

async function startEdge(overrides: Partial<BffConfigInput>, logger = pino({ level: 'silent' })): Promise<RunningBff> {
  const bff: LoadedBff = { ...bffSchema.parse({ name: 'edge', port: 0, sources: ['none'], ...overrides }), file: '/' };
  return startBffServer({ bff, schema, plugins: [useQueryLimits(bff.limits)], logger });
}

const h2query = (session: ClientHttp2Session) => http2Post(session, BODY);

let ca: TestCa;
beforeAll(() => {
  ca = createTestCa();
});
afterAll(() => ca.dispose());

describe('TLS with HTTP/2 by ALPN', () => {
  let edge: RunningBff;
  let sink: ReturnType<typeof logSink>;
  beforeAll(async () => {
    const { certFile, keyFile } = ca.issue('server');
    sink = logSink();
    edge = await startEdge({ tls: { certFile, keyFile }, http2: { maxConcurrentStreams: 50, maxResetsPerWindow: 100, resetWindowMs: 60_000 } }, sink.logger);
  });
  afterAll(() => edge.close(0));
  const origin = () => `https://127.0.0.1:${edge.port}`;

  it('answers over HTTP/2 when the client offers h2, with the advertised stream limit', async () => {
    expect(edge.url).toMatch(/^https:/);
    const session = h2connect(origin(), { ca: ca.caPem });
    await once(session, 'remoteSettings');
    expect(session.alpnProtocol).toBe('h2');
    expect(session.remoteSettings.maxConcurrentStreams).toBe(50);
    const { status, body } = await h2query(session);
    expect(status).toBe(200);
    expect(JSON.parse(body)).toEqual({ data: { hello: 'world' } });
    session.close();
  });

  it('answers HTTP/1.1 on the same port to a client that does not speak HTTP/2', async () => {
    const answer = await new Promise<{ status: number; body: string; alpn: string | false | null }>((resolve, reject) => {
      const req = httpsRequest(`${origin()}/graphql`, { method: 'POST', ca: ca.caPem, ALPNProtocols: ['http/1.1'], headers: { 'content-type': 'application/json' } } as RequestOptions, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        const alpn = (res.socket as TLSSocket).alpnProtocol;
        res.on('end', () => resolve({ status: res.statusCode!, body, alpn }));
      });
      req.on('error', reject);
      req.end(BODY);
    });
    expect(answer.alpn).toBe('http/1.1');
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ data: { hello: 'world' } });
  });

  it('refuses TLS 1.1', async () => {
    const session = h2connect(origin(), { ca: ca.caPem, maxVersion: 'TLSv1.1', minVersion: 'TLSv1' });
    const [error] = (await once(session, 'error')) as [NodeJS.ErrnoException];
    expect(error.code).toMatch(/ERR_SSL|EPROTO|ECONNRESET/);
  });

  it('loads a rotated certificate for new connections and keeps the open ones', async () => {
    const before = h2connect(origin(), { ca: ca.caPem });
    await once(before, 'remoteSettings');
    const oldSerial = (before.socket as TLSSocket).getPeerCertificate().serialNumber;

    const reloaded = sink.waitFor(/tls certificate reloaded/);
    ca.issue('server');
    await reloaded;

    // The open connection still serves requests, on the certificate it was made with.
    expect((await h2query(before)).status).toBe(200);
    expect((before.socket as TLSSocket).getPeerCertificate().serialNumber).toBe(oldSerial);
    const after = h2connect(origin(), { ca: ca.caPem });
    await once(after, 'remoteSettings');
    expect((after.socket as TLSSocket).getPeerCertificate().serialNumber).not.toBe(oldSerial);
    expect((await h2query(after)).status).toBe(200);
    before.close();
    after.close();
  });

  it('sends GOAWAY to a client that floods stream resets, while another client keeps being served', async () => {
    const bystander = h2connect(origin(), { ca: ca.caPem });
    await once(bystander, 'remoteSettings');
    // The attack as it is on the wire (CVE-2023-44487): HEADERS then RST_STREAM, 300 times, in
    // one write. Raw frames, because node's own client does not send a stream it cancels at once.
    const attacker = tlsConnect({ host: '127.0.0.1', port: edge.port, ca: ca.caPem, ALPNProtocols: ['h2'], servername: 'localhost' });
    await once(attacker, 'secureConnect');
    const goaway = readGoaway(attacker);
    const frames = [Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), frame(0x4, 0, 0, Buffer.alloc(0))];
    // :method POST, :path /, :scheme https (static table 3, 4, 7), :authority localhost (literal).
    const headerBlock = Buffer.from([0x83, 0x84, 0x87, 0x41, 0x09, ...Buffer.from('localhost')]);
    for (let i = 0; i < 300; i++) {
      const stream = 1 + 2 * i;
      frames.push(frame(0x1, 0x4, stream, headerBlock), frame(0x3, 0, stream, u32(h2.NGHTTP2_CANCEL)));
    }
    attacker.write(Buffer.concat(frames));
    const { code, lastStream } = await goaway;
    expect(code).toBe(h2.NGHTTP2_ENHANCE_YOUR_CALM);
    // Cut off past the configured 100 resets, not at the end of the flood.
    expect(lastStream).toBeLessThan(2 * 300);
    await once(attacker, 'close');
    for (let i = 0; i < 5; i++) expect((await h2query(bystander)).status).toBe(200);
    bystander.close();
  });
});

/** One HTTP/2 frame: 24-bit length, type, flags, stream id, payload (RFC 9113 §4.1). */
function frame(type: number, flags: number, stream: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUIntBE(payload.length, 0, 3);
  head[3] = type;
  head[4] = flags;
  head.writeUInt32BE(stream, 5);
  return Buffer.concat([head, payload]);
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32BE(value);
  return buffer;
}

/** Resolves with the first GOAWAY frame the server sends on a raw HTTP/2 connection. */
function readGoaway(socket: TLSSocket): Promise<{ code: number; lastStream: number }> {
  return new Promise((resolve) => {
    let pending = Buffer.alloc(0);
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 9) {
        const length = pending.readUIntBE(0, 3);
        if (pending.length < 9 + length) break;
        if (pending[3] === 0x7) resolve({ lastStream: pending.readUInt32BE(9) & 0x7fffffff, code: pending.readUInt32BE(13) });
        pending = pending.subarray(9 + length);
      }
    });
  });
}

describe('cleartext HTTP/2 (h2c) behind a load balancer', () => {
  it('answers HTTP/2 with prior knowledge on a plain port', async () => {
    const edge = await startEdge({ http2: { cleartext: true } });
    try {
      const session = h2connect(`http://127.0.0.1:${edge.port}`);
      const { status, body } = await h2query(session);
      expect(status).toBe(200);
      expect(JSON.parse(body)).toEqual({ data: { hello: 'world' } });
      session.close();
    } finally {
      await edge.close(0);
    }
  });
});

describe('TLS configuration errors', () => {
  it('stops start-up naming the key when the certificate file cannot be read', async () => {
    await expect(startEdge({ tls: { certFile: '/nonexistent/server.crt', keyFile: '/nonexistent/server.key' } })).rejects.toThrow(/tls\.certFile: cannot read/);
  });
});
