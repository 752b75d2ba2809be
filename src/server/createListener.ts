import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { createServer as createHttpServer, type RequestListener } from 'node:http';
import { constants as h2, createSecureServer, createServer as createH2cServer, type Http2Session, type SecureServerOptions } from 'node:http2';
import type { Server as NetServer } from 'node:net';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import type { Logger } from 'pino';
import { caBundleProblem } from '../config/caBundleProblem.js';
import { ConfigError, displayPath } from '../config/configError.js';
import type { LoadedBff } from '../config/loadConfig.js';
import { applyHttpLimits, httpServerOptions } from './httpLimits.js';

/** A BFF's listening server, whichever protocol it speaks, and how to drain it. */
export interface Listener {
  server: NetServer;
  /** 'http/1.1', 'h2+http/1.1' (TLS with ALPN) or 'h2c'. */
  protocols: string;
  scheme: 'http' | 'https';
  /** Closes idle HTTP/1.1 sockets and sends GOAWAY on every HTTP/2 session, so no new request starts. */
  closeIdle(): void;
  /** Stops watching certificate files. */
  dispose(): void;
}

/**
 * The node server in front of a BFF: plain HTTP/1.1, TLS with HTTP/2 by ALPN and HTTP/1.1 on the
 * same port, or cleartext HTTP/2 behind a load balancer. The request listener is the same for all
 * three (yoga handles node's HTTP/2 compatibility objects as it does HTTP/1.1 ones).
 */
export function createListener(bff: LoadedBff, listener: RequestListener, logger: Logger): Listener {
  if (!bff.tls) {
    if (bff.http2.cleartext) return http2Listener(createH2cServer(http2Options(bff), listener as never), bff, 'h2c', 'http', () => {});
    const server = createHttpServer(httpServerOptions(bff.http), listener);
    applyHttpLimits(server, bff.http);
    return { server, protocols: 'http/1.1', scheme: 'http', closeIdle: () => server.closeIdleConnections(), dispose() {} };
  }
  const files = tlsFiles(bff);
  const server = createSecureServer(
    {
      ...http2Options(bff),
      ...readPair(bff, files),
      ...clientCertificateOptions(bff, files),
      minVersion: bff.tls.minVersion,
      // HTTP/1.1 clients (curl without --http2, older libraries) on the same port.
      allowHTTP1: true,
      ALPNProtocols: bff.tls.http2 ? ['h2', 'http/1.1'] : ['http/1.1'],
    },
    listener as never,
  );
  // The HTTP/1.1 side of a TLS listener gets the same header and timeout limits.
  Object.assign(server, { headersTimeout: bff.http.headersTimeoutMs, requestTimeout: bff.http.requestTimeoutMs });
  const watcher = bff.tls.watch ? watchPair(bff, files, server, logger) : undefined;
  const protocols = bff.tls.http2 ? 'h2+http/1.1' : 'http/1.1';
  return http2Listener(server, bff, protocols, 'https', () => watcher?.close());
}

function http2Options(bff: LoadedBff): SecureServerOptions {
  return {
    // A header list bigger than the HTTP/1.1 limit is refused the same way (stream reset).
    maxHeaderListPairs: bff.http.maxHeaders,
    settings: {
      maxConcurrentStreams: bff.http2.maxConcurrentStreams,
      maxHeaderListSize: bff.http.maxHeaderBytes,
    },
  };
}

type Http2Server = ReturnType<typeof createSecureServer> | ReturnType<typeof createH2cServer>;

function http2Listener(server: Http2Server, bff: LoadedBff, protocols: string, scheme: 'http' | 'https', dispose: () => void): Listener {
  const sessions = new Set<Http2Session>();
  server.on('session', (session: Http2Session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
    guardResets(session, bff.http2.maxResetsPerWindow, bff.http2.resetWindowMs);
  });
  // Idle sessions are closed like idle keep-alive sockets.
  server.setTimeout(bff.http.keepAliveTimeoutMs, (stream?: unknown) => (stream as { close?: () => void } | undefined)?.close?.());
  return {
    server: server as unknown as NetServer,
    protocols,
    scheme,
    closeIdle() {
      // GOAWAY: streams already open finish, no new one starts; the session closes after them.
      for (const session of sessions) if (!session.closed) session.close();
      (server as { closeIdleConnections?: () => void }).closeIdleConnections?.();
    },
    dispose,
  };
}

/**
 * Counts the streams reset before the server answered them (the client cancelled: a stream
 * closed with an error code and no response headers sent) in a fixed window; past the bound the
 * session gets GOAWAY with ENHANCE_YOUR_CALM and is destroyed. Other connections are unaffected.
 * Counted on `close`, not `aborted`: a stream reset in the same read as its HEADERS frame never
 * emits `aborted`, and that is exactly what a rapid-reset client sends.
 */
function guardResets(session: Http2Session, max: number, windowMs: number): void {
  let windowStart = Date.now();
  let resets = 0;
  session.on('stream', (stream) => {
    stream.once('close', () => {
      if (stream.rstCode === h2.NGHTTP2_NO_ERROR || stream.headersSent) return;
      const now = Date.now();
      if (now - windowStart > windowMs) {
        windowStart = now;
        resets = 0;
      }
      resets += 1;
      if (resets === max + 1 && !session.destroyed) {
        session.goaway(h2.NGHTTP2_ENHANCE_YOUR_CALM);
        // Give the GOAWAY frame a moment to leave, then free the session's streams.
        setTimeout(() => session.destroy(), 100).unref();
      }
    });
  });
}

interface TlsFiles {
  cert: string;
  key: string;
  /** The CA bundle client certificates are verified against (`tls.clientCaFile`). */
  clientCa?: string | undefined;
}

function tlsFiles(bff: LoadedBff): TlsFiles {
  const base = path.dirname(bff.file);
  const { certFile, keyFile, clientCaFile } = bff.tls!;
  return { cert: path.resolve(base, certFile), key: path.resolve(base, keyFile), clientCa: clientCaFile === undefined ? undefined : path.resolve(base, clientCaFile) };
}

/**
 * Partner mTLS: every client is asked for a certificate, verified against `tls.clientCaFile`,
 * and none is required. `rejectUnauthorized: false` keeps the handshake going for a client with
 * no certificate or a bad one, so the auth stage can answer 401 UNAUTHENTICATED with the same
 * body as a bad API key (a failed handshake tells a client nothing), and clients that never had
 * a certificate (JWT callers) share the port. The verdict is on the socket (`authorized`).
 */
function clientCertificateOptions(bff: LoadedBff, files: TlsFiles): { requestCert?: boolean; rejectUnauthorized?: boolean; ca?: Buffer } {
  if (files.clientCa === undefined) return {};
  return { requestCert: true, rejectUnauthorized: false, ca: readClientCa(bff, files.clientCa) };
}

function readClientCa(bff: LoadedBff, file: string): Buffer {
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (error) {
    throw new ConfigError(displayPath(bff.file), 'tls.clientCaFile', `cannot read ${displayPath(file)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  const problem = caBundleProblem(pem.toString('utf8'));
  if (problem !== undefined) throw new ConfigError(displayPath(bff.file), 'tls.clientCaFile', `${displayPath(file)} ${problem}`);
  return pem;
}

/** The pair as PEM, checked to form a usable context; a bad file is a start-up error naming the key. */
function readPair(bff: LoadedBff, files: TlsFiles): { cert: Buffer; key: Buffer } {
  const read = (file: string, key: 'certFile' | 'keyFile') => {
    try {
      return readFileSync(file);
    } catch (error) {
      throw new ConfigError(displayPath(bff.file), `tls.${key}`, `cannot read ${displayPath(file)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const pair = { cert: read(files.cert, 'certFile'), key: read(files.key, 'keyFile') };
  try {
    createSecureContext(pair);
  } catch (error) {
    throw new ConfigError(displayPath(bff.file), 'tls', `the certificate and key do not form a usable pair: ${(error as Error).message}`);
  }
  return pair;
}

/**
 * Loads a rotated pair into the running server. Only a pair that forms a context replaces the
 * current one (a half-written rotation — new cert, old key — is skipped and tried again on the
 * next change); open connections keep the context they were made with.
 */
function watchPair(bff: LoadedBff, files: TlsFiles, server: ReturnType<typeof createSecureServer>, logger: Logger): { close(): void } {
  let timer: NodeJS.Timeout | undefined;
  const reload = () => {
    timer = undefined;
    try {
      const pair = { cert: readFileSync(files.cert), key: readFileSync(files.key) };
      createSecureContext(pair);
      // The client CA is part of the context: a new context without it would verify no partner.
      const ca = files.clientCa === undefined ? {} : { ca: readClientCa(bff, files.clientCa) };
      server.setSecureContext({ ...pair, ...ca, minVersion: bff.tls!.minVersion });
      logger.info({ bff: bff.name }, 'tls certificate reloaded');
    } catch (error) {
      logger.warn({ bff: bff.name, err: error }, 'tls certificate change not applied: the files do not form a usable pair yet');
    }
  };
  // Both files are written in one rotation: one reload after the last write.
  const onChange = () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(reload, 100);
    timer.unref();
  };
  // The folders, not the files: rotation tools replace files by renaming, which ends a file watch.
  const watched = [files.cert, files.key, ...(files.clientCa === undefined ? [] : [files.clientCa])];
  const watchers: FSWatcher[] = [...new Set(watched.map((file) => path.dirname(file)))].map((dir) =>
    watch(dir, (_event, name) => {
      if (name && watched.some((file) => path.dirname(file) === dir && path.basename(file) === name.toString())) onChange();
    }),
  );
  for (const watcher of watchers) watcher.unref();
  return {
    close() {
      if (timer) clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
    },
  };
}
