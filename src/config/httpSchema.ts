import { z } from 'zod';

// The HTTP edge of one BFF (src/server/httpLimits.ts applies it to node:http). Each limit is
// answered with a status and a code where HTTP allows one (413, 431, 408, 503) rather than a
// reset, so a client can tell what went wrong. docs/security.md has the table.

const ms = z.number().int().positive();

export const httpSchema = z
  .strictObject({
    /**
     * Bytes a request body may have. A declared Content-Length above it is answered 413 before
     * the body is read; a chunked body is counted as it arrives and cut off at the limit.
     * @default 1_048_576 (1 MiB): GraphQL documents are a few KB; variables of a large mutation
     * fit easily. Apollo Router uses 2 MB, yoga 25 MB.
     */
    maxBodyBytes: z.number().int().positive().default(1_048_576),
    /**
     * Total bytes of the request line and headers (node's `maxHeaderSize`); more is answered 431.
     * @default 16_384: node's own default; enough for a large JWT and a few cookies.
     */
    maxHeaderBytes: z.number().int().min(1024).default(16_384),
    /**
     * Header fields a request may have; more is answered 431.
     * @default 100: Apache's LimitRequestFields; node alone would silently drop past 2000.
     */
    maxHeaders: z.number().int().positive().default(100),
    /**
     * Time a client has to send its headers (node's `headersTimeout`); a slow-headers client
     * (Slowloris) is answered 408 and disconnected.
     * @default 10_000: node's 60 s lets a few thousand trickling sockets fill the process.
     */
    headersTimeoutMs: ms.default(10_000),
    /**
     * Time a client has to send the whole request, body included (node's `requestTimeout`);
     * a slow body is answered 408 and disconnected.
     * @default 30_000: a 1 MiB body arrives in 30 s even at 300 kbit/s.
     */
    requestTimeoutMs: ms.default(30_000),
    /**
     * After a 413 (or 431) answered while the client is still sending, body bytes read and
     * dropped so the client can read the answer; past it the socket is reset.
     * @default 16_777_216 (16 MiB): a browser or curl uploading a body well over the limit still
     * sees the 413 instead of "connection reset"; a client streaming gigabytes is cut off.
     */
    maxDrainBytes: z.number().int().min(0).default(16_777_216),
    /**
     * After such an answer, time the connection stays open for the client to read it.
     * @default 5_000: long enough for a slow link to read a 200-byte answer, short enough that
     * refused uploads cannot hold sockets.
     */
    drainTimeoutMs: ms.default(5_000),
    /**
     * Idle time before a keep-alive connection is closed.
     * @default 5_000: node's default; raise it above your load balancer's idle timeout when
     * one sits in front (AWS ALB: 60 s) so the balancer never reuses a socket being closed.
     */
    keepAliveTimeoutMs: ms.default(5_000),
    /**
     * How often node's own check of the two timeouts runs (node's `connectionsCheckingInterval`).
     * Portico times each connection itself to the millisecond (src/server/clientTimeouts.ts);
     * node's check is a backstop.
     * @default 1_000: node's 30 s would let a slow client hold a socket up to 30 s past its timeout.
     */
    timeoutCheckIntervalMs: ms.default(1_000),
    /**
     * Open client connections at once; one more is answered 503 SERVICE_OVERLOADED and closed.
     * @default 1000: keeps the process under the common 1024 open-files soft limit with room
     * for upstream sockets; raise it together with `ulimit -n`.
     */
    maxConnections: z.number().int().positive().default(1000),
  })
  .refine((http) => http.headersTimeoutMs <= http.requestTimeoutMs, {
    error: 'headersTimeoutMs must not exceed requestTimeoutMs (the headers are part of the request)',
    path: ['headersTimeoutMs'],
  })
  .prefault({});

export type HttpLimitsConfig = z.infer<typeof httpSchema>;
