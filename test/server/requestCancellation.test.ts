import { connect, type Socket } from 'node:net';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedBff } from '../../src/config/loadConfig.js';
import { bffSchema } from '../../src/config/schema.js';
import type { CallSignal } from '../../src/context/cancelSignal.js';
import type { PorticoContext } from '../../src/context/requestScope.js';
import { startBffServer, type BffApp, type RunningBff } from '../../src/server/createBffServer.js';

// The request scope's abort signals (src/server/serverRequestScope.ts), each created on first use:
// `signal`, the real AbortSignal plugins and resolvers may read, and `callSignal`, the light one
// every upstream call of the request listens on. Both must abort when the client leaves before its
// answer, whether asked for before or after, and never for a request answered in full.

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

interface Probe {
  /** The resolver started (and, with `askBeforeLeaving`, has read the scope's signal). */
  started: Deferred<void>;
  /** The scope's signal as the resolver saw it when it finished waiting. */
  seen: Deferred<CallSignal>;
}

let probe: Probe;
const newProbe = (): Probe => ({ started: deferred(), seen: deferred<CallSignal>() });
/** Which of the scope's two signals the resolvers read. */
let which: 'signal' | 'callSignal' = 'signal';
const scopeSignal = (context: Ctx): CallSignal => context.portico[which]!;

type Ctx = PorticoContext & { request: Request };
const schema = makeExecutableSchema({
  typeDefs: 'type Query { askBeforeLeaving: String, askAfterLeaving: String, answered: String }',
  resolvers: {
    Query: {
      // Reads the signal first, then waits for it to abort.
      askBeforeLeaving: async (_root: unknown, _args: unknown, context: Ctx) => {
        const signal = scopeSignal(context);
        probe.started.resolve();
        await new Promise((resolve) => signal.addEventListener('abort', () => resolve(undefined), { once: true }));
        probe.seen.resolve(signal);
        return 'late';
      },
      // Reads the signal only once the server has seen the client leave: yoga's own request
      // signal aborts on the same 'close' event, after the server's listener has run.
      askAfterLeaving: async (_root: unknown, _args: unknown, context: Ctx) => {
        probe.started.resolve();
        await new Promise((resolve) => context.request.signal.addEventListener('abort', resolve, { once: true }));
        probe.seen.resolve(scopeSignal(context));
        return 'late';
      },
      answered: (_root: unknown, _args: unknown, context: Ctx) => {
        probe.seen.resolve(scopeSignal(context));
        return 'in time';
      },
    },
  },
});

let edge: RunningBff;
let app: BffApp;
beforeAll(async () => {
  const bff: LoadedBff = { ...bffSchema.parse({ name: 'edge', port: 0, sources: ['none'] }), file: 'test' };
  app = { schema, plugins: [] };
  edge = await startBffServer({ bff, ...app, logger: pino({ level: 'silent' }) });
});
afterAll(() => edge?.close(0));

/** Sends a POST of `query` on a raw socket; resolves with the socket and, later, what it received. */
function post(query: string): { socket: Socket; answer: Promise<string> } {
  const body = JSON.stringify({ query });
  const socket = connect(edge.port, '127.0.0.1');
  const received: Buffer[] = [];
  const answer = new Promise<string>((resolve) => {
    socket.on('data', (chunk) => {
      received.push(chunk);
      if (Buffer.concat(received).toString('utf8').includes('"data"')) resolve(Buffer.concat(received).toString('utf8'));
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(Buffer.concat(received).toString('utf8')));
  });
  socket.once('connect', () =>
    socket.write(`POST /graphql HTTP/1.1\r\nHost: edge\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`),
  );
  return { socket, answer };
}

describe.each(['signal', 'callSignal'] as const)('the request scope\'s %s', (name) => {
  beforeAll(() => {
    which = name;
  });

  it('aborts when the client closes its connection before the answer, for a request that had asked for it', async () => {
    expect.assertions(2);
    probe = newProbe();
    const { socket } = post('{ askBeforeLeaving }');
    await probe.started.promise;
    socket.destroy();
    const signal = await probe.seen.promise;
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toMatchObject({ name: 'AbortError' });
  });

  it('is already aborted when first asked for after the client has left', async () => {
    expect.assertions(1);
    probe = newProbe();
    const { socket } = post('{ askAfterLeaving }');
    await probe.started.promise;
    socket.destroy();
    const signal = await probe.seen.promise;
    expect(signal.aborted).toBe(true);
  });

  it('never aborts for a request answered in full, even once its connection closes', async () => {
    expect.assertions(3);
    probe = newProbe();
    const { socket, answer } = post('{ answered }');
    expect(await answer).toContain('{"data":{"answered":"in time"}}');
    socket.destroy();
    // swap resolves once every request of the current app has ended: its 'close' has been handled.
    await edge.swap(app);
    const signal = await probe.seen.promise;
    expect(signal.aborted).toBe(false);
    expect(edge.inFlight()).toBe(0);
  });
});
