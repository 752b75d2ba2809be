/**
 * The floor for scenario (b): the least a gateway in front of one subgraph can cost. It forwards
 * the request body to the upstream over a keep-alive pool and streams the answer back; no
 * parsing, no validation, no planning.
 *   node --import tsx bench/proxy.ts <upstream-url> <port>   prints `READY <url>`
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

const [upstreamArg, portArg = '0'] = process.argv.slice(2);
if (!upstreamArg) throw new Error('usage: proxy.ts <upstream-url> [port]');
const upstream = new URL(upstreamArg);
// As many sockets as the gateways get (src/transport/httpClient.ts), so the floor is comparable.
const pool = new Pool(upstream.origin, { connections: 64, keepAliveTimeout: 60_000 });

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    pool
      .request({
        method: 'POST',
        path: upstream.pathname,
        headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
        body: Buffer.concat(chunks),
      })
      .then(async (answer) => {
        const body = Buffer.from(await answer.body.arrayBuffer());
        res.writeHead(answer.statusCode, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
      })
      .catch(() => res.writeHead(502).end());
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(portArg), '127.0.0.1', () => {
  process.stdout.write(`READY http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql\n`);
});
process.stdin.once('close', () => process.exit(0));
process.stdin.resume();
