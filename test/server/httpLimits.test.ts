import { connect, type Socket } from 'node:net';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedBff } from '../../src/config/loadConfig.js';
import { bffSchema, type BffConfigInput } from '../../src/config/schema.js';
import { useQueryLimits } from '../../src/plugins/limits/useQueryLimits.js';
import { startBffServer, type RunningBff } from '../../src/server/createBffServer.js';

// A real BFF server (src/server/createBffServer.ts) with tiny limits, driven over raw sockets so
// a test can be the slow or oversized client. Every wait is for an event (data, close), not a timer.

const schema = makeExecutableSchema({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'world' } } });

async function startEdge(overrides: Partial<BffConfigInput>): Promise<RunningBff> {
  const bff: LoadedBff = { ...bffSchema.parse({ name: 'edge', port: 0, sources: ['none'], ...overrides }), file: 'test' };
  return startBffServer({ bff, schema, plugins: [useQueryLimits(bff.limits)], logger: pino({ level: 'silent' }) });
}

/** Connects, writes `chunks` (each awaited), and resolves with everything received until the server closes. */
function exchange(port: number, chunks: (string | Buffer)[] = []): { socket: Socket; answer: Promise<string> } {
  const socket = connect(port, '127.0.0.1');
  const received: Buffer[] = [];
  const answer = new Promise<string>((resolve) => {
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('error', () => {});
    socket.on('close', () => resolve(Buffer.concat(received).toString('utf8')));
  });
  socket.once('connect', () => {
    for (const chunk of chunks) socket.write(chunk);
  });
  return { socket, answer };
}

function parseAnswer(raw: string) {
  const [head, body] = raw.split('\r\n\r\n', 2) as [string, string];
  return { status: Number(head.split(' ')[1]), head: head.toLowerCase(), body: body ? (JSON.parse(body) as { errors: { extensions: { code: string } }[] }) : undefined };
}

const POST = (extra: string) => `POST /graphql HTTP/1.1\r\nHost: edge\r\nContent-Type: application/json\r\n${extra}`;
const QUERY = JSON.stringify({ query: '{ hello }' });

describe('slow clients', () => {
  // Tiny timeouts, used only by clients that never finish: whatever the machine's load, the
  // answer is the timeout; a well-behaved client is never sent here, where load could delay it.
  let edge: RunningBff;
  beforeAll(async () => {
    edge = await startEdge({ http: { headersTimeoutMs: 300, requestTimeoutMs: 600, timeoutCheckIntervalMs: 50 } });
  });
  afterAll(() => edge?.close(0));

  it('answers a client that never finishes its headers with 408 REQUEST_TIMEOUT and closes the socket', async () => {
    const { answer } = exchange(edge.port, ['POST /graphql HTTP/1.1\r\nHost: edge\r\n', 'X-Slow: 1\r\n']);
    const { status, head, body } = parseAnswer(await answer);
    expect(status).toBe(408);
    expect(head).toContain('connection: close');
    expect(body!.errors[0]!.extensions.code).toBe('REQUEST_TIMEOUT');
  });

  it('answers a client that never finishes its body with 408 as well', async () => {
    const { answer } = exchange(edge.port, [POST('Content-Length: 100\r\n\r\n'), '{"query":']);
    const { status, body } = parseAnswer(await answer);
    expect(status).toBe(408);
    expect(body!.errors[0]!.extensions.code).toBe('REQUEST_TIMEOUT');
  });
});

describe('slow clients are held to their timeouts, not to node\'s 30 s check', () => {
  // node's own check is set to its default 30 s here: every close below is the edge's own timer.
  const HEADERS_MS = 400;
  const REQUEST_MS = 700;
  let edge: RunningBff;
  beforeAll(async () => {
    edge = await startEdge({ http: { headersTimeoutMs: HEADERS_MS, requestTimeoutMs: REQUEST_MS, timeoutCheckIntervalMs: 30_000 } });
  });
  afterAll(() => edge?.close(0));

  /** Opens a socket that keeps trickling `drip` every 100 ms after `opening`; resolves with the answer and how long the socket lived. */
  function trickle(opening: string, drip: string | undefined): Promise<{ raw: string; livedMs: number }> {
    const started = performance.now();
    const { socket, answer } = exchange(edge.port, [opening]);
    const timer = drip === undefined ? undefined : setInterval(() => socket.writable && socket.write(drip), 100);
    return answer.then((raw) => {
      clearInterval(timer);
      return { raw, livedMs: performance.now() - started };
    });
  }

  it('answers 40 slow-header, 5 silent and 5 slow-body sockets 408 and closes each within its timeout + 1 s', async () => {
    const slowHeaders = Array.from({ length: 40 }, () => trickle('POST /graphql HTTP/1.1\r\nHost: edge\r\n', 'X-Drip: 1\r\n'));
    const silent = Array.from({ length: 5 }, () => trickle('', undefined));
    const slowBody = Array.from({ length: 5 }, () => trickle(POST('Content-Length: 10000\r\n\r\n{"query":'), ' '));
    const [headers, quiet, body] = await Promise.all([Promise.all(slowHeaders), Promise.all(silent), Promise.all(slowBody)]);
    for (const { raw, livedMs } of [...headers, ...quiet]) {
      expect(parseAnswer(raw).body!.errors[0]!.extensions.code).toBe('REQUEST_TIMEOUT');
      expect(livedMs).toBeGreaterThanOrEqual(HEADERS_MS - 5);
      expect(livedMs).toBeLessThan(HEADERS_MS + 1000);
    }
    for (const { raw, livedMs } of body) {
      expect(parseAnswer(raw).status).toBe(408);
      expect(livedMs).toBeGreaterThanOrEqual(REQUEST_MS - 5);
      expect(livedMs).toBeLessThan(REQUEST_MS + 1000);
    }
  });
});

/**
 * Sends `head` and the first 256 KB of `body`, waits until the answer starts arriving, then sends
 * the rest, as a client still uploading when the server answers does. Resolves with the answer
 * and the socket's error, if any (a reset surfaces as ECONNRESET or EPIPE).
 */
function upload(port: number, head: string, body: Buffer, chunked: boolean): Promise<{ raw: string; socketError: string | undefined }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const received: Buffer[] = [];
    let socketError: string | undefined;
    const answered = new Promise((next) => socket.once('data', next));
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('error', (error: NodeJS.ErrnoException) => (socketError = error.code));
    socket.on('close', () => resolve({ raw: Buffer.concat(received).toString('utf8'), socketError }));
    const send = async (from: number, to: number) => {
      const block = 64 * 1024;
      for (let at = from; at < to && !socket.destroyed; at += block) {
        const part = body.subarray(at, Math.min(at + block, to));
        const data = chunked ? Buffer.concat([Buffer.from(`${part.length.toString(16)}\r\n`), part, Buffer.from('\r\n')]) : part;
        if (!socket.write(data)) await new Promise((next) => (socket.once('drain', next), socket.once('close', next)));
      }
    };
    socket.once('connect', async () => {
      socket.write(head);
      await send(0, 256 * 1024);
      await answered;
      await send(256 * 1024, body.length);
      if (chunked && !socket.destroyed) socket.write('0\r\n\r\n');
    });
  });
}

describe('a body over the limit gets a 413 the client can read', () => {
  let edge: RunningBff;
  beforeAll(async () => {
    edge = await startEdge({ http: { maxBodyBytes: 1000 } });
  });
  afterAll(() => edge?.close(0));
  const big = Buffer.alloc(3_000_000, 'a');

  it.each([
    ['declared', false, `Content-Length: ${big.length}\r\n`],
    ['chunked', true, 'Transfer-Encoding: chunked\r\n'],
  ])('%s: an upload still going when the 413 comes is read to its end, not reset, and the 413 JSON is read', async (_, chunked, framing) => {
    const { raw, socketError } = await upload(edge.port, POST(`${framing}\r\n`), big, chunked);
    expect(socketError).toBeUndefined();
    const { status, body } = parseAnswer(raw);
    expect(status).toBe(413);
    expect(body!.errors[0]!.extensions).toEqual({ code: 'PAYLOAD_TOO_LARGE', maxBodyBytes: 1000 });
  });

  it('stops draining at maxDrainBytes: an endless upload is cut off, not read forever', async () => {
    const capped = await startEdge({ http: { maxBodyBytes: 1000, maxDrainBytes: 100_000 } });
    try {
      const { raw, socketError } = await upload(capped.port, POST('Transfer-Encoding: chunked\r\n\r\n'), Buffer.alloc(20_000_000, 'a'), true);
      expect(raw.startsWith('HTTP/1.1 413')).toBe(true);
      // Reset once 100 KB past the answer were dropped, long before the 20 MB were sent.
      expect(socketError).toMatch(/ECONNRESET|EPIPE/);
    } finally {
      await capped.close(0);
    }
  });
});

describe('compressed bodies', () => {
  let edge: RunningBff;
  beforeAll(async () => {
    edge = await startEdge({ http: { maxBodyBytes: 10_000 } });
  });
  afterAll(() => edge?.close(0));
  const send = (encoding: string, body: Buffer) =>
    exchange(edge.port, [POST(`Content-Encoding: ${encoding}\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n`), body]).answer;

  it('inflates gzip and br bodies within the limit and runs them', async () => {
    for (const [encoding, body] of [['gzip', gzipSync(QUERY)], ['br', brotliCompressSync(QUERY)]] as const) {
      const raw = await send(encoding, body);
      expect(raw.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
      expect(raw).toContain('{"data":{"hello":"world"}}');
    }
  });

  it('answers a gzip bomb (10 KB inflating to 10 MB) with 413 PAYLOAD_TOO_LARGE', async () => {
    const bomb = gzipSync(Buffer.alloc(10_000_000, ' '));
    expect(bomb.length).toBeLessThan(10_000);
    const { status, body } = parseAnswer(await send('gzip', bomb));
    expect(status).toBe(413);
    expect(body!.errors[0]!.extensions).toEqual({ code: 'PAYLOAD_TOO_LARGE', maxBodyBytes: 10_000 });
  });

  it('answers an unknown coding with 415 and bytes that are not gzip with 400', async () => {
    expect(parseAnswer(await send('zstd', Buffer.from(QUERY))).status).toBe(415);
    const { status, body } = parseAnswer(await send('gzip', Buffer.from(QUERY)));
    expect(status).toBe(400);
    expect(body!.errors[0]!.extensions.code).toBe('BAD_REQUEST');
  });
});

describe('size limits', () => {
  let edge: RunningBff;
  beforeAll(async () => {
    edge = await startEdge({ http: { maxHeaderBytes: 2048, maxHeaders: 20, maxBodyBytes: 1000 } });
  });
  afterAll(() => edge?.close(0));

  it('answers headers over maxHeaderBytes with 431 HEADERS_TOO_LARGE', async () => {
    const { answer } = exchange(edge.port, [POST(`X-Big: ${'a'.repeat(4000)}\r\nContent-Length: 2\r\n\r\n{}`)]);
    const { status, body } = parseAnswer(await answer);
    expect(status).toBe(431);
    expect(body!.errors[0]!.extensions.code).toBe('HEADERS_TOO_LARGE');
  });

  it('answers more than maxHeaders header fields with 431 HEADERS_TOO_LARGE', async () => {
    const many = Array.from({ length: 25 }, (_, i) => `X-H${i}: ${i}\r\n`).join('');
    const { answer } = exchange(edge.port, [POST(`${many}Content-Length: ${QUERY.length}\r\n\r\n${QUERY}`)]);
    const { status, head, body } = parseAnswer(await answer);
    expect(status).toBe(431);
    expect(head).toContain('connection: close');
    expect(body!.errors[0]!.extensions.code).toBe('HEADERS_TOO_LARGE');
  });

  it('answers a declared body over maxBodyBytes with 413 before a byte of it is sent', async () => {
    // Headers only: the answer must come without the client sending the 5000 bytes it announced.
    const { answer } = exchange(edge.port, [POST('Content-Length: 5000\r\n\r\n')]);
    const { status, body } = parseAnswer(await answer);
    expect(status).toBe(413);
    expect(body!.errors[0]!.extensions).toEqual({ code: 'PAYLOAD_TOO_LARGE', maxBodyBytes: 1000 });
  });

  it('cuts off a chunked body at maxBodyBytes with 413, and serves one within it', async () => {
    const chunk = (data: string) => `${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`;
    const big = exchange(edge.port, [POST('Transfer-Encoding: chunked\r\n\r\n'), chunk('x'.repeat(800)), chunk('x'.repeat(800))]);
    expect(parseAnswer(await big.answer).status).toBe(413);

    const small = exchange(edge.port, [POST('Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n'), chunk(QUERY.slice(0, 5)), chunk(QUERY.slice(5)), '0\r\n\r\n']);
    const raw = await small.answer;
    expect(raw.split('\r\n')[0]).toBe('HTTP/1.1 200 OK');
    expect(raw).toContain('{"data":{"hello":"world"}}');
  });

  it('keeps serving well-behaved clients after all of the above', async () => {
    const response = await fetch(edge.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: QUERY });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { hello: 'world' } });
  });
});

describe('the connection cap', () => {
  let edge: RunningBff;
  beforeAll(async () => {
    edge = await startEdge({ http: { maxConnections: 2 } });
  });
  afterAll(() => edge?.close(0));

  it('answers a connection over maxConnections with 503 SERVICE_OVERLOADED and Retry-After, then closes it', async () => {
    const held = [exchange(edge.port), exchange(edge.port)];
    await Promise.all(held.map(({ socket }) => new Promise((resolve) => socket.once('connect', resolve))));
    const { status, head, body } = parseAnswer(await exchange(edge.port).answer);
    expect(status).toBe(503);
    expect(head).toContain('retry-after: 1');
    expect(body!.errors[0]!.extensions.code).toBe('SERVICE_OVERLOADED');

    // Once a held connection goes, a new one is served (the server sees the close a moment later).
    held[0]!.socket.destroy();
    await held[0]!.answer;
    let served = 0;
    for (let attempt = 0; attempt < 100 && served === 0; attempt++) {
      const raw = await exchange(edge.port, [POST(`Content-Length: ${QUERY.length}\r\nConnection: close\r\n\r\n${QUERY}`)]).answer;
      if (raw.startsWith('HTTP/1.1 200')) served = attempt + 1;
    }
    expect(served).toBeGreaterThan(0);
    held[1]!.socket.destroy();
  });
});

describe('batches', () => {
  let edge: RunningBff;
  beforeAll(async () => {
    edge = await startEdge({ limits: { maxBatchedOperations: 3 } });
  });
  afterAll(() => edge?.close(0));

  it('runs a batch within maxBatchedOperations and refuses a bigger one with 400 TOO_MANY_OPERATIONS', async () => {
    const batch = (n: number) =>
      fetch(edge.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(Array.from({ length: n }, () => ({ query: '{ hello }' }))) });
    const three = await batch(3);
    expect(three.status).toBe(200);
    expect(await three.json()).toEqual([{ data: { hello: 'world' } }, { data: { hello: 'world' } }, { data: { hello: 'world' } }]);
    const four = await batch(4);
    expect(four.status).toBe(400);
    expect(await four.json()).toMatchObject({ errors: [{ extensions: { code: 'TOO_MANY_OPERATIONS', operations: { count: 4, max: 3 } } }] });
  });
});

describe('http config', () => {
  it('refuses a headers timeout longer than the request timeout, naming the key', () => {
    const result = bffSchema.safeParse({ name: 'x', port: 0, sources: ['a'], http: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 } });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual(['http', 'headersTimeoutMs']);
  });
});
