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
import { startOrdersSubgraph } from '../../../subgraphs/orders/server.js';
import type { RunningSubgraph } from '../../../subgraphs/shared/serveSubgraph.js';

// A graphql-ws source on a real socket: three ticks, then the source ends the stream.
const schema = makeExecutableSchema({
  typeDefs: 'type Query { ok: Boolean } type Subscription { tick: Int! }',
  resolvers: {
    Subscription: {
      tick: {
        subscribe: async function* () {
          for (const n of [1, 2, 3]) yield { tick: n };
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
});
