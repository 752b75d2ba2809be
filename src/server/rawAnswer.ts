import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { catalogue, type ErrorCode } from '../errors/index.js';

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  431: 'Request Header Fields Too Large',
  503: 'Service Unavailable',
};

/** The JSON body of every answer the edge gives itself: the GraphQL error shape, with a catalogue code. */
export function errorBody(code: ErrorCode, details: Record<string, unknown> = {}): string {
  return JSON.stringify({ errors: [{ message: catalogue[code].message, extensions: { code, ...details } }] });
}

/** A whole HTTP/1.1 response, for sockets node:http has given up parsing or the edge answers itself. */
export function rawResponse(code: ErrorCode, details: Record<string, unknown> = {}, headers: Record<string, string> = {}): string {
  const status = catalogue[code].status;
  const body = errorBody(code, details);
  const lines = [
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

/** Sockets the edge has answered itself: node:http's own timeouts and errors leave them alone. */
export const answeredSockets = new WeakSet<Duplex>();

/** Answers with a coded error and closes the connection: its state (an unread body) is not reusable. */
export function answer(res: ServerResponse, code: ErrorCode, details: Record<string, unknown> = {}): void {
  const body = errorBody(code, details);
  res.writeHead(catalogue[code].status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    // HTTP/2 has no connection header (a refused stream leaves its connection reusable).
    ...(res.req.httpVersionMajor < 2 ? { connection: 'close' } : {}),
  });
  res.end(body);
}

export interface LingerLimits {
  /** Body bytes read and thrown away after the answer, before the socket is reset. */
  maxDrainBytes: number;
  /** Time the socket stays open after the answer for the client to read it. */
  drainTimeoutMs: number;
}

/**
 * Answers a request whose body is still arriving, so that the client can read the answer.
 * Closing a socket with unread bytes in its receive buffer makes the kernel send a reset, and a
 * reset makes the client's kernel throw away the answer it had not read yet (curl and fetch then
 * report "connection reset" instead of the 413). So the answer is written, our side is
 * half-closed (FIN: the client learns the answer is complete), and what the client still sends is
 * read and dropped until it stops, up to `maxDrainBytes` or `drainTimeoutMs`: Apache's "lingering
 * close". Past either bound the socket is destroyed; the client has had its chance to read.
 */
export function lingeringAnswer(req: IncomingMessage, code: ErrorCode, details: Record<string, unknown>, limits: LingerLimits): void {
  const socket = req.socket;
  answeredSockets.add(socket);
  socket.end(rawResponse(code, details));
  let drained = 0;
  const stop = () => socket.destroy();
  const timer = setTimeout(stop, limits.drainTimeoutMs);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
  req.on('data', (chunk: Buffer) => {
    drained += chunk.length;
    if (drained > limits.maxDrainBytes) stop();
  });
  // Once the client's FIN arrives too, both sides are closed and node destroys the socket.
  req.on('error', stop);
  req.resume();
}
