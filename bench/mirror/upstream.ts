/**
 * A minimal GraphQL-shaped upstream for bench/mirrorCost.ts: answers every POST with one fixed
 * user, or (after `POST /__mode` with `ok`, `fail`, `hang` or `reset`) 500s, holds, or resets the
 * connection. Prints `READY <url>`; exits when stdin closes.
 */
import { createServer, type ServerResponse } from 'node:http';

const BODY = JSON.stringify({ data: { user: { id: 'u1', name: 'Ada Lovelace' } } });
const FAILED = JSON.stringify({ errors: [{ message: 'injected', extensions: { code: 'INJECTED_FAULT' } }] });
let mode = 'ok';
const held = new Set<ServerResponse>();

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    if (req.url === '/__mode') {
      mode = Buffer.concat(chunks).toString('utf8');
      for (const response of held) response.destroy();
      held.clear();
      res.end('ok');
      return;
    }
    if (mode === 'hang') {
      held.add(res);
      res.once('close', () => held.delete(res));
      return;
    }
    if (mode === 'reset') {
      req.socket.destroy();
      return;
    }
    const body = mode === 'fail' ? FAILED : BODY;
    res.writeHead(mode === 'fail' ? 500 : 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (typeof address === 'object' && address) process.stdout.write(`READY http://127.0.0.1:${address.port}/graphql\n`);
});
process.stdin.on('end', () => process.exit(0)).resume();
