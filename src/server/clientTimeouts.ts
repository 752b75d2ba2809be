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
  socket: Socket;
  /** When the connection's current deadline passes; the timer below never fires after it. */
  deadline: number;
  /** When the pending timer fires (Infinity: none pending). */
  firesAt: number;
  timer: NodeJS.Timeout | undefined;
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
 * Holds every client to the headers and request timeouts to the millisecond. node:http checks its
 * own `headersTimeout` and `requestTimeout` only every `connectionsCheckingInterval` (30 s unless
 * told otherwise) and not at all for a connection that never sends a byte, so a Slowloris client
 * could hold a socket up to 30 s past the limit, or forever by staying silent. node's check stays
 * on as a backstop.
 *
 * A request whose body is complete is never timed out here: executing it is the request
 * budget's business (`resilience.requestBudgetMs`), not the client's.
 *
 * Each connection has one deadline and at most one timer. A request (and the end of its answer)
 * only moves the deadline; the timer is replaced only when the deadline comes earlier than it
 * fires, and a timer that fires before the deadline sets the next one for the rest. On a busy
 * keep-alive connection the deadline only ever moves later (the next request's 30 s, the idle
 * 15 s after its answer), so a request allocates no timer and no closure: under load those lived
 * as long as the request and were copied into V8's old generation with it (issue 17).
 */
export function watchClientTimeouts(server: Server, limits: ClientTimeouts, skip: (socket: Socket) => boolean): void {
  const watches = new WeakMap<Socket, Watch>();

  const expire = (watch: Watch) => {
    const { socket } = watch;
    watch.timer = undefined;
    watch.firesAt = Infinity;
    if (socket.destroyed || answeredSockets.has(socket) || upgradedSockets.has(socket)) return;
    const left = watch.deadline - Date.now();
    if (left > 0) {
      schedule(watch, left);
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

  const schedule = (watch: Watch, ms: number) => {
    const delay = Math.max(0, ms);
    watch.firesAt = Date.now() + delay;
    watch.timer = setTimeout(expire, delay, watch);
    watch.timer.unref();
  };

  /** The connection's deadline is now `at`; a timer that would fire after it is replaced. */
  const deadlineAt = (watch: Watch, at: number) => {
    watch.deadline = at;
    if (at >= watch.firesAt) return;
    clearTimeout(watch.timer);
    schedule(watch, at - Date.now());
  };

  // One listener for every response: a closure per request would live as long as the request.
  function answered(this: ServerResponse) {
    const socket = this.req.socket;
    const watch = watches.get(socket);
    if (!watch) return;
    watch.reused = true;
    watch.request = undefined;
    // Idle until node's keep-alive timeout closes it, then the next request's headers.
    if (!socket.destroyed) deadlineAt(watch, Date.now() + limits.keepAliveTimeoutMs + limits.headersTimeoutMs);
  }

  server.on('connection', (socket: Socket) => {
    if (skip(socket)) return;
    const openedAt = Date.now();
    const watch: Watch = { socket, deadline: openedAt + limits.headersTimeoutMs, firesAt: Infinity, timer: undefined, openedAt, reused: false, request: undefined };
    schedule(watch, limits.headersTimeoutMs);
    watches.set(socket, watch);
    socket.once('close', () => clearTimeout(watch.timer));
  });

  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const watch = watches.get(req.socket);
    if (!watch) return;
    watch.request = req;
    // The first request's deadline counts from the connection; a reused connection's next
    // request gets the whole request timeout from its headers (node reports no earlier moment).
    deadlineAt(watch, (watch.reused ? Date.now() : watch.openedAt) + limits.requestTimeoutMs);
    res.on('finish', answered);
  });
}
