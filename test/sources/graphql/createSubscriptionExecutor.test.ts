import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, type ExecutionResult } from 'graphql';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { createSubscriptionExecutor } from '../../../src/sources/graphql/createSubscriptionExecutor.js';
import { ANONYMOUS } from '../../../src/context/principal.js';
import type { RequestScope } from '../../../src/context/requestScope.js';
import { SHARE_KEY_EXCLUDED } from '../../../src/sources/graphql/createSubscriptionExecutor.js';
import { IDENTITY_HEADERS } from '../../../src/plugins/auth/identityHeaders.js';
import { startOrdersSubgraph } from '../../../subgraphs/orders/server.js';
import type { RunningSubgraph } from '../../../subgraphs/shared/serveSubgraph.js';

// A graphql-ws source on a real socket: three ticks, then the source ends the stream.
// `held` stays open until the test publishes, counting the subscriptions open at the source.
const held = { open: 0, watchers: new Set<() => void>(), emit: undefined as ((n: number) => void) | undefined, listeners: new Set<(n: number) => void>() };
const heldOpen = (count: number) =>
  new Promise<void>((resolve) => {
    const check = () => {
      if (held.open !== count) return;
      held.watchers.delete(check);
      resolve();
    };
    held.watchers.add(check);
    check();
  });
const schema = makeExecutableSchema({
  typeDefs: 'type Query { ok: Boolean } type Subscription { tick: Int! held: Int! }',
  resolvers: {
    Subscription: {
      tick: {
        subscribe: async function* () {
          for (const n of [1, 2, 3]) yield { tick: n };
        },
      },
      held: {
        subscribe: () => {
          const queue: number[] = [];
          let wake: (() => void) | undefined;
          const listener = (n: number) => {
            queue.push(n);
            wake?.();
          };
          held.listeners.add(listener);
          held.open += 1;
          for (const watcher of [...held.watchers]) watcher();
          let closed = false;
          const iterator: AsyncIterableIterator<{ held: number }> = {
            async next() {
              while (queue.length === 0 && !closed) await new Promise<void>((resolve) => (wake = resolve));
              if (closed) return { done: true, value: undefined };
              return { done: false, value: { held: queue.shift()! } };
            },
            async return() {
              if (!closed) {
                closed = true;
                held.listeners.delete(listener);
                held.open -= 1;
                for (const watcher of [...held.watchers]) watcher();
                wake?.();
              }
              return { done: true, value: undefined };
            },
            [Symbol.asyncIterator]: () => iterator,
          };
          return iterator;
        },
      },
    },
  },
});

let server: Server;
let wsUrl: string;
const connectionParams: unknown[] = [];
let hanging: RunningSubgraph;

beforeAll(async () => {
  server = createServer();
  const wss = new WebSocketServer({ server, path: '/graphql' });
  useServer({ schema, onConnect: (ctx) => void connectionParams.push(ctx.connectionParams) }, wss);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  wsUrl = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`;
  hanging = await startOrdersSubgraph({ faults: { hang: true } });
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  await hanging.close();
});

const scope = (): RequestScope => ({
  requestId: 'req-1',
  principal: ANONYMOUS,
  upstreamHeaders: { 'x-portico-subject': 'u1' },
  signal: new AbortController().signal,
});

async function all(events: AsyncIterableIterator<ExecutionResult>): Promise<ExecutionResult[]> {
  const out: ExecutionResult[] = [];
  for await (const event of events) out.push(event);
  return out;
}

describe('createSubscriptionExecutor', () => {
  it('streams a graphql-transport-ws source in order, sending the identity headers as the connection_init payload', async () => {
    const execute = createSubscriptionExecutor({ protocol: 'ws', url: wsUrl, connectTimeoutMs: 10_000, source: 'ticks', sourceUrl: 'http://unused/graphql' });
    const events = await all(execute({ document: parse('subscription { tick }'), context: { portico: scope() } }));
    expect(events).toEqual([{ data: { tick: 1 } }, { data: { tick: 2 } }, { data: { tick: 3 } }]);
    expect(connectionParams.at(-1)).toEqual({ 'x-portico-subject': 'u1', 'x-request-id': 'req-1' });
  });

  it('fails with SUBGRAPH_UNAVAILABLE, naming the source and not its URL, when the source cannot be reached', async () => {
    const execute = createSubscriptionExecutor({ protocol: 'ws', connectTimeoutMs: 10_000, source: 'gone', sourceUrl: 'http://127.0.0.1:9/graphql' });
    const failure = await all(execute({ document: parse('subscription { tick }'), context: { portico: scope() } })).catch((error: unknown) => error);
    expect(failure).toMatchObject({ extensions: { code: 'SUBGRAPH_UNAVAILABLE', source: 'gone' } });
    expect(JSON.stringify(failure)).not.toContain('127.0.0.1');
  });

  it('fails with SUBGRAPH_TIMEOUT when an SSE source does not accept within connectTimeoutMs (hang knob)', async () => {
    const execute = createSubscriptionExecutor({ protocol: 'sse', connectTimeoutMs: 300, source: 'orders', sourceUrl: hanging.url });
    const events = execute({ document: parse('subscription { orderStatusChanged(orderId: "o1") { id } }'), context: { portico: scope() } });
    await expect(events.next()).rejects.toMatchObject({ extensions: { code: 'SUBGRAPH_TIMEOUT', source: 'orders' } });
  });

  it('shares one upstream stream between identical requests whose identity was signed in different seconds, never between two subjects', async () => {
    const execute = createSubscriptionExecutor({ protocol: 'ws', url: wsUrl, connectTimeoutMs: 10_000, source: 'ticks', sourceUrl: 'http://unused/graphql' });
    const signed = (subject: string, second: number, requestId: string): RequestScope => ({
      requestId,
      principal: ANONYMOUS,
      upstreamHeaders: { 'x-portico-auth': 'jwt', 'x-portico-subject': subject, 'x-portico-identity-ts': String(second), 'x-portico-identity-signature': `v1=${subject}-${second}` },
    });
    const document = parse('subscription { held }');
    const before = connectionParams.length;
    const first = execute({ document, context: { portico: signed('u1', 100, 'req-a') } });
    const again = execute({ document, context: { portico: signed('u1', 101, 'req-b') } });
    const other = execute({ document, context: { portico: signed('u2', 100, 'req-c') } });
    const steps = [first.next(), again.next(), other.next()];
    await heldOpen(2);
    // One connection per identity, opened with the first subscriber's headers.
    expect(connectionParams.slice(before).map((params) => (params as Record<string, string>)['x-portico-subject']).sort()).toEqual(['u1', 'u2']);
    for (const listener of held.listeners) listener(7);
    expect(await Promise.all(steps)).toEqual([1, 2, 3].map(() => ({ done: false, value: { data: { held: 7 } } })));
    await first.return!();
    await other.return!();
    await heldOpen(1);
    await again.return!();
    await heldOpen(0);
  });

  it('keeps the identity values in the sharing key and leaves out only what times or correlates one call', () => {
    const left = new Set([IDENTITY_HEADERS.timestamp, IDENTITY_HEADERS.signature, IDENTITY_HEADERS.keySignature, 'x-request-id']);
    for (const header of Object.values(IDENTITY_HEADERS)) expect(SHARE_KEY_EXCLUDED.has(header), header).toBe(left.has(header));
    expect(SHARE_KEY_EXCLUDED.has('x-request-id')).toBe(true);
  });
});
