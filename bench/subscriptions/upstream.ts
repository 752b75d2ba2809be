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
 * first and checks the gateways used the upstream protocol it asked for).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { parse } from 'graphql';
import { createPubSub, createYoga } from 'graphql-yoga';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { TICK_SDL, type Tick } from './tickSchema.js';

const pubsub = createPubSub<{ tick: [Tick] }>();
let open = 0;

const schema = buildSubgraphSchema({
  typeDefs: parse(TICK_SDL),
  resolvers: {
    Query: { benchPing: () => true },
    Subscription: {
      tick: {
        subscribe: async function* () {
          open += 1;
          try {
            for await (const tick of pubsub.subscribe('tick')) yield { tick };
          } finally {
            open -= 1;
          }
        },
      },
    },
  } as never,
});

const yoga = createYoga({ schema, graphqlEndpoint: '/graphql', logging: false, maskedErrors: false });
const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://upstream');
  if (url.pathname === '/subscribers') {
    res.setHeader('content-type', 'application/json').end(JSON.stringify({ open, webSockets: wss.clients.size }));
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
useServer({ schema }, wss);

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`READY http://127.0.0.1:${port}/graphql\n`);
});
process.stdin.resume();
process.stdin.on('end', () => process.exit(0));
