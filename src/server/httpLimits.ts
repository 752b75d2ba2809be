import type { RequestListener, Server, ServerOptions, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '../errors/index.js';
import { watchClientTimeouts } from './clientTimeouts.js';
import { answer, answeredSockets, lingeringAnswer as lingerOnSocket, rawResponse } from './rawAnswer.js';
import { contentCodingOf, inflateBody, readRequestBody } from './readRequestBody.js';

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
  /** Body bytes read and dropped after a 413, so the client can read it. @default 16_777_216 */
  maxDrainBytes: number;
  /** Time a refused request's connection stays open for the client to read the answer. @default 5_000 */
  drainTimeoutMs: number;
  /** Idle time of a keep-alive connection. @default 5_000 */
  keepAliveTimeoutMs: number;
  /** How often node's own backstop check of the two timeouts runs. @default 1_000 */
  timeoutCheckIntervalMs: number;
  /** Open connections; one more is answered 503 SERVICE_OVERLOADED and closed. @default 1000 */
  maxConnections: number;
}

/** What node:http enforces itself: header size, and a backstop check of both timeouts. */
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
 * at once, so a flood of idle sockets cannot exhaust the process's file descriptors. Slow clients
 * are timed out to the millisecond (src/server/clientTimeouts.ts).
 */
export function applyHttpLimits(server: Server, limits: HttpLimitsOptions): void {
  // One past the limit, so a request over it is seen (node drops extra headers silently).
  server.maxHeadersCount = limits.maxHeaders + 1;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => {
    const inFlight = (socket as Duplex & { _httpMessage?: ServerResponse | null })._httpMessage;
    const gone = error.code === 'ECONNRESET' || error.code === 'EPIPE';
    if (answeredSockets.has(socket)) {
      // Answered already (a 413 being drained, a timeout): node's second opinion is not sent.
      socket.destroy();
    } else if (!gone && socket.writable && (!inFlight || !inFlight.headersSent)) {
      answeredSockets.add(socket);
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
      socket.end(rawResponse('SERVICE_OVERLOADED', {}, { 'Retry-After': '1' }));
      // A client that never reads or closes must not keep the refused socket either.
      socket.once('finish', () => socket.destroy());
      return;
    }
    open++;
    socket.once('close', () => open--);
  });
  watchClientTimeouts(server, limits, (socket) => refused.has(socket));
}

/** Sockets refused for being over the connection cap; node may still parse a request on them. */
const refused = new WeakSet<Duplex>();

/**
 * Wraps the server's request listener with the checks node:http does not make: too many header
 * fields (431); a declared body over the limit (413, answered before a byte of it is read); a
 * chunked body, which declares no length, read here, counted and cut off at the limit (413); and
 * a compressed body (gzip, deflate, br) read and inflated here, refused 413 once it inflates past
 * the limit, whatever its compressed size (other codings: 415). Every 413 is answered so that the
 * client can read it (src/server/rawAnswer.ts lingeringAnswer); a body read here is handed on
 * already read (and inflated). `streamed` bodies (file uploads) are handed on unread.
 */
export function withHttpLimits(limits: HttpLimitsOptions, listener: RequestListener, streamed?: StreamedBodies): RequestListener {
  const tooLarge = { maxBodyBytes: limits.maxBodyBytes };
  return (req, res) => {
    if (refused.has(req.socket)) return;
    // An HTTP/2 stream is refused with an ordinary response: its socket is the whole session's,
    // and lingering on it (or writing raw HTTP/1.1 to it) would take every other stream with it.
    const lingeringAnswer = (_: unknown, code: ErrorCode, details: Record<string, unknown>, lingerLimits: HttpLimitsOptions) =>
      req.httpVersionMajor >= 2 ? answer(res, code, details) : lingerOnSocket(req, code, details, lingerLimits);
    if (req.rawHeaders.length / 2 > limits.maxHeaders) {
      lingeringAnswer(req, 'HEADERS_TOO_LARGE', {}, limits);
      return;
    }
    const declared = req.headers['content-length'];
    if (streamed && isStreamedBody(req.headers['content-type'])) {
      // A file upload: streamed by the pipeline under its own limits, never read here.
      if (declared !== undefined && Number(declared) > streamed.maxBytes) lingeringAnswer(req, 'UPLOAD_TOO_LARGE', streamed.details, limits);
      else if (contentCodingOf(req) !== 'identity') lingeringAnswer(req, 'UNSUPPORTED_MEDIA_TYPE', { contentEncodings: [] }, limits);
      else listener(req, res);
      return;
    }
    if (declared !== undefined && Number(declared) > limits.maxBodyBytes) {
      lingeringAnswer(req, 'PAYLOAD_TOO_LARGE', tooLarge, limits);
      return;
    }
    const coding = contentCodingOf(req);
    if (coding === 'unsupported') {
      lingeringAnswer(req, 'UNSUPPORTED_MEDIA_TYPE', { contentEncodings: ['gzip', 'deflate', 'br'] }, limits);
      return;
    }
    // HTTP/2 bodies are DATA frames with no declared length: read and counted like a chunked body.
    const hasBody = declared !== undefined || req.headers['transfer-encoding'] !== undefined || req.httpVersionMajor >= 2;
    if (!hasBody || (coding === 'identity' && declared !== undefined)) {
      listener(req, res);
      return;
    }
    void readRequestBody(req, limits.maxBodyBytes).then(async (body) => {
      if (body === 'aborted') return;
      if (body === 'too-large') return lingeringAnswer(req, 'PAYLOAD_TOO_LARGE', tooLarge, limits);
      if (coding === 'identity') return listener(Object.assign(req, { body }), res);
      const inflated = await inflateBody(body, coding, limits.maxBodyBytes);
      if (inflated === 'too-large') return answer(res, 'PAYLOAD_TOO_LARGE', tooLarge);
      if (inflated === 'corrupt') return answer(res, 'BAD_REQUEST', { reason: `the body is not valid ${coding}` });
      // Handed on as a plain body: yoga must not inflate it a second time (and without a bound).
      delete req.headers['content-encoding'];
      req.headers['content-length'] = String(inflated.length);
      listener(Object.assign(req, { body: inflated }), res);
    });
  };
}

/**
 * Bodies the pipeline streams itself (file uploads, src/plugins/uploads/): `multipart/form-data`
 * on a BFF with uploads on. Only a declared length over `maxBytes` is refused here (413 with
 * `code` and `details`); the rest is counted part by part as it streams.
 */
export interface StreamedBodies {
  maxBytes: number;
  details: Record<string, unknown>;
}

function isStreamedBody(contentType: string | undefined): boolean {
  return contentType !== undefined && contentType.split(';', 1)[0]!.trim().toLowerCase() === 'multipart/form-data';
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
