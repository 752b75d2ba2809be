/**
 * The bench-only upstream both gateways proxy: one Federation v2 subgraph with a `tick`
 * subscription, served over GraphQL-over-SSE (yoga, distinct connections) and over a WebSocket
 * (`graphql-transport-ws`, the graphql-ws library's server) on the same port and path.
 *
 *   node --import tsx bench/subscriptions/upstream.ts      prints `READY <url>`, exits when stdin closes
 *
 * The bench publishes with `POST /publish?seq=N`: every open upstream subscription gets
 * `{ seq: N, publishedAt }`, `publishedAt` being this machine's clock in ms (performance.timeOrigin
 * + performance.now(), sub-millisecond), stamped once before the fan-out, so a client in another
 * process measures publish-to-receipt latency against the same clock. `GET /subscribers` answers
 * how many upstream subscriptions are open and over how many WebSockets (the bench reports the
 * first and checks the gateways used the upstream protocol it asked for), and the
 * `x-portico-subject` each open one was made with (`anonymous` without one): the sharing tests
 * (test/e2e/subscriptions/sharedUpstream.e2e.test.ts) read who the upstream sees. `POST /complete`
 * ends every open subscription from the upstream's side.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createPubSub, createYoga } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { TICK_SDL, type Tick } from './tickSchema.js';

const pubsub = createPubSub<{ tick: [Tick | 'complete'] }>();
let open = 0;
/** The subject of each open subscription, by the order they opened in. */
const subjects = new Map<object, string>();

/** Who subscribed: SSE carries the identity as request headers, a WebSocket in its connection_init payload. */
function subjectOf(context: { request?: Request; connectionParams?: Record<string, unknown> }): string {
  const subject = context.request?.headers.get('x-portico-subject') ?? context.connectionParams?.['x-portico-subject'];
  return typeof subject === 'string' ? subject : 'anonymous';
}

const schema = buildSubgraphSchema({
  typeDefs: parse(TICK_SDL),
  resolvers: {
    Query: { benchPing: () => true },
    Subscription: {
      tick: {
        // An iterator, not an async generator: a generator waiting for the next event would
        // run its `finally` only once that event came, so a subscription its client left would
        // stay counted until the next publish.
        subscribe: (_: unknown, _args: unknown, context: Parameters<typeof subjectOf>[0]): AsyncIterableIterator<{ tick: Tick }> => {
          open += 1;
          const me = {};
          subjects.set(me, subjectOf(context));
          const ticks = pubsub.subscribe('tick')[Symbol.asyncIterator]();
          let closed = false;
          const close = () => {
            if (closed) return;
            closed = true;
            open -= 1;
            subjects.delete(me);
          };
          const iterator: AsyncIterableIterator<{ tick: Tick }> = {
            async next() {
              const step = await ticks.next();
              if (step.done || step.value === 'complete') {
                close();
                await ticks.return?.();
                return { done: true, value: undefined };
              }
              return { done: false, value: { tick: step.value } };
            },
            async return() {
              close();
              await ticks.return?.();
              return { done: true, value: undefined };
            },
            [Symbol.asyncIterator]: () => iterator,
          };
          return iterator;
        },
      },
    },
  } as never,
});

const yoga = createYoga({ schema, graphqlEndpoint: '/graphql', logging: false, maskedErrors: false });
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://upstream');
  if (url.pathname === '/subscribers') {
    res.setHeader('content-type', 'application/json').end(JSON.stringify({ open, webSockets: wss.clients.size, subjects: [...subjects.values()] }));
    return;
  }
  if (url.pathname === '/complete' && req.method === 'POST') {
    pubsub.publish('tick', 'complete');
    res.end();
    return;
  }
  if (url.pathname === '/publish' && req.method === 'POST') {
    const seq = Number(url.searchParams.get('seq'));
    const publishedAt = performance.timeOrigin + performance.now();
    const receivers = open;
    pubsub.publish('tick', { seq, publishedAt });
    res.setHeader('content-type', 'application/json').end(JSON.stringify({ receivers }));
    return;
  }
  void yoga(req, res);
});
// Thousands of idle streams: no per-connection timeouts (Node's defaults would end them).
server.requestTimeout = 0;
server.headersTimeout = 0;
server.keepAliveTimeout = 60_000;
const wss = new WebSocketServer({ server, path: '/graphql' });
useServer({ schema, context: (ctx) => ({ connectionParams: ctx.connectionParams }) }, wss);

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`READY http://127.0.0.1:${port}/graphql\n`);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
