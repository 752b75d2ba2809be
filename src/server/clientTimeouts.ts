import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { answeredSockets, rawResponse } from './rawAnswer.js';

export interface ClientTimeouts {
  /** Time from the connection (or the end of the previous answer) to the request's headers. */
  headersTimeoutMs: number;
  /** Time from the connection (or the request's headers, on a reused connection) to its whole body. */
  requestTimeoutMs: number;
  /** Idle time of a reused connection before its next request; node closes it then. */
  keepAliveTimeoutMs: number;
}

interface Watch {
  timer: NodeJS.Timeout;
  /** When the connection opened: the first request's deadlines count from here. */
  openedAt: number;
  /** A request has been answered on this connection (it is being reused). */
  reused: boolean;
  /** The request being received, once its headers are in. */
  request?: IncomingMessage | undefined;
}

/**
 * Sockets handed over to another protocol (a WebSocket after its upgrade). An upgrade request
 * never emits `request`, so without this the headers deadline armed at connect would still fire
 * and write a raw HTTP 408 into the WebSocket, ending every one of them `headersTimeoutMs` after
 * it opened. Their own protocol's keep-alive watches them from then on.
 */
const upgradedSockets = new WeakSet<Duplex>();

/** Called by an upgrade handler once it takes the socket: the HTTP timeouts no longer apply to it. */
export function releaseUpgradedSocket(socket: Duplex): void {
  upgradedSockets.add(socket);
}

/**
 * Holds every client to the headers and request timeouts to the millisecond, with one timer per
 * connection (re-armed with `refresh`, never reallocated). node:http checks its own
 * `headersTimeout` and `requestTimeout` only every `connectionsCheckingInterval` (30 s unless
 * told otherwise) and not at all for a connection that never sends a byte, so a Slowloris client
 * could hold a socket up to 30 s past the limit, or forever by staying silent. node's check stays
 * on as a backstop.
 *
 * A request whose body is complete is never timed out here: executing it is the request
 * budget's business (`resilience.requestBudgetMs`), not the client's.
 */
export function watchClientTimeouts(server: Server, limits: ClientTimeouts, skip: (socket: Socket) => boolean): void {
  const watches = new WeakMap<Socket, Watch>();

  const expire = (socket: Socket) => {
    const watch = watches.get(socket);
    if (!watch || socket.destroyed || answeredSockets.has(socket)) return;
    if (upgradedSockets.has(socket)) {
      clearTimeout(watch.timer);
      return;
    }
    if (watch.request?.complete) return;
    const response = (socket as Socket & { _httpMessage?: ServerResponse | null })._httpMessage;
    if (response?.headersSent || !socket.writable) {
      socket.destroy();
      return;
    }
    answeredSockets.add(socket);
    socket.end(rawResponse('REQUEST_TIMEOUT'));
    // Closed once the answer is flushed: a client that trickles bytes must not keep the socket.
    socket.once('finish', () => socket.destroy());
    // A client that never reads: the answer cannot flush, so do not wait for it longer than a second.
    setTimeout(() => socket.destroy(), 1000).unref();
  };

  const arm = (socket: Socket, watch: Watch, ms: number) => {
    clearTimeout(watch.timer);
    watch.timer = setTimeout(() => expire(socket), Math.max(0, ms));
    watch.timer.unref();
  };

  server.on('connection', (socket: Socket) => {
    if (skip(socket)) return;
    const watch: Watch = { timer: setTimeout(() => expire(socket), limits.headersTimeoutMs), openedAt: Date.now(), reused: false };
    watch.timer.unref();
    watches.set(socket, watch);
    socket.once('close', () => clearTimeout(watch.timer));
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    const watch = watches.get(socket);
    if (!watch) return;
    watch.request = req;
    // The first request's deadline counts from the connection; a reused connection's next
    // request gets the whole request timeout from its headers (node reports no earlier moment).
    const started = watch.reused ? Date.now() : watch.openedAt;
    arm(socket, watch, started + limits.requestTimeoutMs - Date.now());
    res.once('finish', () => {
      watch.reused = true;
      watch.request = undefined;
      // Idle until node's keep-alive timeout closes it, then the next request's headers.
      if (!socket.destroyed) arm(socket, watch, limits.keepAliveTimeoutMs + limits.headersTimeoutMs);
    });
  });
}
