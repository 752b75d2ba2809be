/**
 * The four bench subgraphs in one process, each on its own port:
 *   node --import tsx bench/subgraphs/server.ts
 * prints `READY {"accounts":"http://127.0.0.1:…/graphql",…}` and exits when stdin closes, so it
 * never outlives the bench.
 *
 * They must not be the bottleneck: a subgraph answer depends on nothing but the request body
 * (no auth, no state), so each distinct body is executed once and its serialised answer replayed.
 * A gateway under load sends the same few bodies over and over, so nearly every request is a map
 * lookup and one write. `GET /__stats` counts requests, so the bench can report the subgraph
 * calls each gateway makes per client request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { graphql, type GraphQLSchema } from 'graphql';
import { BENCH_SUBGRAPHS, benchSubgraphSchema } from './schemas.js';

// Distinct bodies are few (one per query shape and batch); the cap only guards against a gateway
// that puts something unique in every body.
const MAX_CACHED_BODIES = 10_000;

function serve(schema: GraphQLSchema): Promise<{ url: string }> {
  const answers = new Map<string, Buffer>();
  let requests = 0;

  async function answer(body: string): Promise<Buffer> {
    const cached = answers.get(body);
    if (cached) return cached;
    let result: unknown;
    try {
      const { query, variables, operationName } = JSON.parse(body) as {
        query: string;
        variables?: Record<string, unknown>;
        operationName?: string;
      };
      result = await graphql({ schema, source: query, variableValues: variables, operationName });
    } catch (error) {
      result = { errors: [{ message: `bad request: ${(error as Error).message}` }] };
    }
    const serialised = Buffer.from(JSON.stringify(result));
    if (answers.size >= MAX_CACHED_BODIES) answers.clear();
    answers.set(body, serialised);
    return serialised;
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    if (req.method === 'GET' && req.url === '/__stats') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ requests }));
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405).end();
      return;
    }
    requests++;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void answer(Buffer.concat(chunks).toString('utf8')).then((payload) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': payload.length }).end(payload);
      });
    });
  });
  // Gateways keep pools of sockets open between rounds; the default 5 s would close them in the
  // pause between two rounds and make the next round pay for reconnecting.
  server.keepAliveTimeout = 60_000;
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}/graphql` });
    });
  });
}

const urls: Record<string, string> = {};
for (const name of BENCH_SUBGRAPHS) urls[name] = (await serve(benchSubgraphSchema(name))).url;
process.stdout.write(`READY ${JSON.stringify(urls)}\n`);
process.stdin.once('close', () => process.exit(0));
process.stdin.resume();
