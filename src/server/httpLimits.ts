import type { IncomingMessage, RequestListener, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { catalogue, type ErrorCode } from '../errors/index.js';

/** The HTTP edge limits of one BFF; src/config/httpSchema.ts documents each default. */
export interface HttpLimitsOptions {
  /** Request body bytes; more is 413 PAYLOAD_TOO_LARGE. @default 1_048_576 */
  maxBodyBytes: number;
  /** Bytes of the request line and headers; more is 431 HEADERS_TOO_LARGE. @default 16_384 */
  maxHeaderBytes: number;
  /** Header fields; more is 431 HEADERS_TOO_LARGE. @default 100 */
  maxHeaders: number;
  /** Time to receive the headers; slower is 408 REQUEST_TIMEOUT. @default 10_000 */
  headersTimeoutMs: number;
  /** Time to receive the whole request; slower is 408 REQUEST_TIMEOUT. @default 30_000 */
  requestTimeoutMs: number;
  /** Idle time of a keep-alive connection. @default 5_000 */
  keepAliveTimeoutMs: number;
  /** How often node checks the two timeouts. @default 1_000 */
  timeoutCheckIntervalMs: number;
  /** Open connections; one more is answered 503 SERVICE_OVERLOADED and closed. @default 1000 */
  maxConnections: number;
}

/** What node:http enforces itself: header size, both timeouts and how often they are checked. */
export function httpServerOptions(limits: HttpLimitsOptions): ServerOptions {
  return {
    maxHeaderSize: limits.maxHeaderBytes,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.timeoutCheckIntervalMs,
  };
}

/**
 * Answers what node:http would otherwise answer with a bare status line or a reset: requests it
 * could not parse (431 for oversized headers, 408 for slow clients, 400 otherwise) get a JSON body
 * with a catalogue code, and a connection over the cap gets 503 SERVICE_OVERLOADED and is closed
 * at once, so a flood of idle sockets cannot exhaust the process's file descriptors.
 */
export function applyHttpLimits(server: Server, limits: HttpLimitsOptions): void {
  // One past the limit, so a request over it is seen (node drops extra headers silently).
  server.maxHeadersCount = limits.maxHeaders + 1;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    const gone = error.code === 'ECONNRESET' || error.code === 'EPIPE';
    if (!gone && socket.writable && (!inFlight || !inFlight.headersSent)) {
      socket.end(rawResponse(clientErrorCode(error.code)));
      // Closed once the answer is flushed: a client that trickles bytes must not keep the socket.
      socket.once('finish', () => socket.destroy());
    } else {
      socket.destroy();
    }
  });

  let open = 0;
  server.on('connection', (socket: Duplex) => {
    if (open >= limits.maxConnections) {
      refused.add(socket);
      socket.end(rawResponse('SERVICE_OVERLOADED', { 'Retry-After': '1' }));
      // A client that never reads or closes must not keep the refused socket either.
      socket.once('finish', () => socket.destroy());
      return;
    }
    open++;
    socket.once('close', () => open--);
  });
}

/** Sockets refused for being over the connection cap; node may still parse a request on them. */
const refused = new WeakSet<Duplex>();

/**
 * Wraps the server's request listener with the checks node:http does not make: too many header
 * fields (431), a declared body over the limit (413, answered before a byte of it is read), and
 * a chunked body, which declares no length: it is read here, counted, and cut off at the limit
 * (413); a body within it is handed on already read.
 */
export function withHttpLimits(limits: HttpLimitsOptions, listener: RequestListener): RequestListener {
  return (req, res) => {
    if (refused.has(req.socket)) return;
    if (req.rawHeaders.length / 2 > limits.maxHeaders) {
      answer(res, 'HEADERS_TOO_LARGE');
      return;
    }
    const declared = req.headers['content-length'];
    if (declared !== undefined) {
      if (Number(declared) > limits.maxBodyBytes) answer(res, 'PAYLOAD_TOO_LARGE', { maxBodyBytes: limits.maxBodyBytes });
      else listener(req, res);
      return;
    }
    // HTTP/2 bodies are DATA frames with no declared length: counted like a chunked body.
    if (req.headers['transfer-encoding'] === undefined && req.httpVersionMajor < 2) {
      listener(req, res);
      return;
    }
    void readBody(req, limits.maxBodyBytes).then((body) => {
      if (body === 'too-large') answer(res, 'PAYLOAD_TOO_LARGE', { maxBodyBytes: limits.maxBodyBytes });
      else if (body !== 'aborted') listener(Object.assign(req, { body }), res);
    });
  };
}

function readBody(req: IncomingMessage, max: number): Promise<Buffer | 'too-large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (result: Buffer | 'too-large' | 'aborted') => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onAbort);
      req.off('close', onAbort);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > max) {
        // Stop reading: the rest of the body is the client's problem, not the gateway's memory.
        req.pause();
        done('too-large');
      } else {
        chunks.push(chunk);
      }
    };
    const onEnd = () => done(Buffer.concat(chunks, size));
    const onAbort = () => done('aborted');
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('error', onAbort);
    req.once('close', onAbort);
  });
}

/** Answers with a coded error and closes the connection: its state (an unread body) is not reusable. */
function answer(res: ServerResponse, code: ErrorCode, details: Record<string, unknown> = {}): void {
  const body = errorBody(code, details);
  res.writeHead(catalogue[code].status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    // HTTP/2 has no connection header (a reset stream leaves its connection reusable).
    ...(res.req.httpVersionMajor < 2 ? { connection: 'close' } : {}),
  });
  res.end(body);
}

function clientErrorCode(code: string | undefined): ErrorCode {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return 'HEADERS_TOO_LARGE';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'REQUEST_TIMEOUT';
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 'PAYLOAD_TOO_LARGE';
    default:
      return 'BAD_REQUEST';
  }
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
  503: 'Service Unavailable',
};

/** A whole HTTP/1.1 response, for sockets node:http has given up parsing. */
function rawResponse(code: ErrorCode, headers: Record<string, string> = {}): string {
  const status = catalogue[code].status;
  const body = errorBody(code, {});
  const lines = [
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}`,
    'Content-Type: application/json; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
    'Connection: close',
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n${body}`;
}

function errorBody(code: ErrorCode, details: Record<string, unknown>): string {
  return JSON.stringify({ errors: [{ message: catalogue[code].message, extensions: { code, ...details } }] });
}
