import { connect, type Socket } from 'node:net';
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
