import { once } from 'node:events';
import { createConnection, createServer, type Socket } from 'node:net';

export interface ReplyDroppingProxy {
  /** `redis://127.0.0.1:<port>`: connect here instead of to the server. */
  url: string;
  /**
   * Loses the next reply that is exactly `reply` (its RESP bytes) on its way from the server to
   * the client, as a faulty connection or client would; resolves once it has. Until then,
   * what the server sends is held back, so the reply is found even if it arrives in pieces.
   */
  dropNext(reply: Buffer): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP proxy on loopback in front of a real redis-server, for testing what a store does with
 * replies that no longer match its commands. Everything else passes through unchanged.
 */
export async function startReplyDroppingProxy(serverPort: number): Promise<ReplyDroppingProxy> {
  let armed: { reply: Buffer; held: Buffer; dropped: () => void } | undefined;
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    const upstream = createConnection(serverPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
      socket.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.on('data', (chunk: Buffer) => {
      if (!armed) return void client.write(chunk);
      const held = Buffer.concat([armed.held, chunk]);
      const at = held.indexOf(armed.reply);
      if (at === -1) return void (armed.held = held);
      const { reply, dropped } = armed;
      armed = undefined;
      client.write(Buffer.concat([held.subarray(0, at), held.subarray(at + reply.length)]));
      dropped();
    });
    upstream.on('end', () => client.end());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return {
    url: `redis://127.0.0.1:${port}`,
    dropNext(reply) {
      return new Promise((resolve) => {
        armed = { reply, held: Buffer.alloc(0), dropped: resolve };
      });
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
