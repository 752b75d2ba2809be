import { connect } from 'node:net';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { LoadedBff } from '../../src/config/loadConfig.js';
import { bffSchema } from '../../src/config/schema.js';
import { startBffServer, type RunningBff } from '../../src/server/createBffServer.js';

// A WebSocket's upgrade request never emits `request`, so the HTTP headers deadline armed when
// its connection opened must not fire on it later: it used to write a raw `HTTP/1.1 408` into
// the open WebSocket (the client saw "Invalid WebSocket frame") `headersTimeoutMs` after it
// connected, ending every WebSocket subscription after 10 s by default.

const schema = makeExecutableSchema({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'world' } } });

describe('HTTP client timeouts and WebSockets', () => {
  let edge: RunningBff;
  beforeAll(async () => {
    const bff: LoadedBff = {
      ...bffSchema.parse({ name: 'edge', port: 0, sources: ['none'], http: { headersTimeoutMs: 300, requestTimeoutMs: 600, timeoutCheckIntervalMs: 50 } }),
      file: 'test',
    };
    edge = await startBffServer({ bff, schema, plugins: [], logger: pino({ level: 'silent' }) });
  });
  afterAll(() => edge?.close(0));

  it('keeps a WebSocket open past headersTimeoutMs while a silent HTTP client on the same listener gets its 408', async () => {
    const socket = new WebSocket(`ws://127.0.0.1:${edge.port}/graphql`, 'graphql-transport-ws');
    const problems: string[] = [];
    socket.on('error', (error) => problems.push(error.message));
    socket.on('close', (code) => problems.push(`closed ${code}`));
    // Settles on the next message, or fails at once when the socket errs or closes instead.
    const nextMessage = () =>
      new Promise<unknown>((resolve, reject) => {
        if (socket.readyState !== WebSocket.OPEN) return reject(new Error(`WebSocket ended: ${problems.join('; ')}`));
        socket.once('message', (data) => resolve(JSON.parse(String(data))));
        socket.once('close', () => reject(new Error(`WebSocket ended: ${problems.join('; ')}`)));
      });
    await new Promise((resolve) => socket.once('open', resolve));
    const ack = nextMessage();
    socket.send(JSON.stringify({ type: 'connection_init', payload: {} }));
    expect(await ack).toEqual({ type: 'connection_ack' });

    // Opened after the WebSocket, so its deadline is later: once it has been answered 408, the
    // WebSocket's own (armed when it connected) has passed too.
    const silent = connect(edge.port, '127.0.0.1');
    const answered = await new Promise<string>((resolve) => {
      let text = '';
      silent.on('data', (chunk) => (text += chunk.toString()));
      silent.on('error', () => undefined);
      silent.on('close', () => resolve(text));
    });
    expect(answered.split('\r\n')[0]).toBe('HTTP/1.1 408 Request Timeout');

    const pong = nextMessage();
    socket.send(JSON.stringify({ type: 'ping' }));
    expect(await pong).toEqual({ type: 'pong' });
    expect(problems).toEqual([]);
    socket.close();
  });
});
