import { createHash, createHmac } from 'node:crypto';
import { getOperationAST } from 'graphql';
import type { Logger } from 'pino';
import type { Principal } from '../../context/principal.js';
import type { PorticoPlugin, RequestScope } from '../../context/requestScope.js';
import type { UpstreamAttempt, UpstreamOutcome, UpstreamWatch } from '../../context/upstreamObserver.js';
import { operationCostOf } from '../../context/operationCost.js';
import { clientIdentityOf, type ClientIdentity } from '../../observability/clientIdentity.js';
import { infoLineWriter } from '../../observability/infoLineWriter.js';

export interface AccessLogOptions {
  logger: Logger;
  bff: string;
  /**
   * HMAC key for the subject hash (root config `accessLog.subjectHashKey`).
   * @default undefined: plain SHA-256, see src/config/operationsSchema.ts for the trade-off
   */
  subjectHashKey?: string;
  /**
   * Upstream attempts listed per line; the rest are only counted (`upstreamCallsOmitted`).
   * @default 50: a page of items with per-id calls stays readable, a runaway query stays one line
   */
  maxUpstreamCalls?: number;
  /** Injected for tests; `performance.now` by default. */
  now?: () => number;
}

/**
 * A request's record rides on the request itself: a WeakMap entry per request is an ephemeron,
 * which the young-generation collector has to revisit (bench/README.md, "Speed work" 13).
 */
const RECORD = Symbol('portico.accessLog');
type Recorded = Request & { [RECORD]?: RequestRecord };
const recordOf = (request: Request): RequestRecord | undefined => (request as Recorded)[RECORD];

/** One upstream attempt as the access log records it. */
export interface LoggedUpstreamCall {
  source: string;
  status?: number;
  error?: string;
  ms: number;
  /** Waited for the identical call of another request (src/transport/withSharedCalls.ts). */
  joined?: true;
}

interface RequestRecord {
  startedAt: number;
  operationName?: string;
  operationType?: string;
  cost?: number;
  upstream: LoggedUpstreamCall[];
  upstreamOmitted: number;
  errorCodes?: Set<string>;
  client: ClientIdentity;
}

/**
 * One structured line per HTTP request, written when the response is ready:
 *
 *   requestId, traceId (when tracing is on), bff, method, path, operationName, operationType,
 *   clientName, clientVersion (graphql-client-name/-version, sanitised, 64 characters at most),
 *   status, durationMs, cost (when cost analysis ran), subject (a hash, never the raw id),
 *   tenant, principal (jwt | apiKey | anonymous), upstream [{ source, status | error, ms, joined? }],
 *   stale (sources answered from the fallback cache), errors (extensions.code values)
 *
 * It never records a token, an API key, a header value (but the sanitised client name and
 * version), the query text, a body or a variable value: only what an operator needs to find and
 * explain a request. The operation name is the one of the operation that ran (a GraphQL Name, so
 * no free text), or the client's
 * `operationName` truncated to 100 characters when the request was refused before execution.
 */
export function useAccessLog(options: AccessLogOptions): PorticoPlugin {
  const { logger, bff } = options;
  const now = options.now ?? (() => performance.now());
  const maxUpstream = options.maxUpstreamCalls ?? 50;
  const hashOf = subjectHasher(options.subjectHashKey);
  // The verified-token cache gives every request with one token the same principal object:
  // hashing its subject once, not on every request, saves a SHA-256 per line.
  const hashed = new WeakMap<Principal, string>();
  const hashSubject = (principal: Principal): string => {
    let hash = hashed.get(principal);
    if (hash === undefined) {
      hash = hashOf(principal.subject);
      hashed.set(principal, hash);
    }
    return hash;
  };
  // Below the info level (LOG_LEVEL=warn) no line is written: no record, no upstream observer,
  // no line object per request. Asked per request, so a level changed at run time is followed.
  const writes = () => logger.isLevelEnabled('info');
  // `logger.info(line, 'request')`, the same bytes, without pino's walk over the line's fields.
  const writeLine = infoLineWriter(logger, 'request');
  return {
    onRequest({ request, serverContext }) {
      if (!writes()) return;
      const record: RequestRecord = { startedAt: now(), upstream: [], upstreamOmitted: 0, client: clientIdentityOf(request.headers) };
      (request as Recorded)[RECORD] = record;
      const scope = serverContext.portico;
      if (!scope) return;
      // One watch for all of the request's attempts: it is told which attempt ended.
      const watch: UpstreamWatch = {
        end(outcome: UpstreamOutcome, attempt: UpstreamAttempt) {
          if (record.upstream.length >= maxUpstream) {
            record.upstreamOmitted += 1;
            return;
          }
          // One literal per case, not spreads: every call of every request comes through here.
          const { source } = attempt;
          const { status, errorCode: error, durationMs: ms } = outcome;
          const entry: LoggedUpstreamCall =
            error === undefined
              ? status === undefined
                ? { source, ms }
                : { source, status, ms }
              : status === undefined
                ? { source, error, ms }
                : { source, status, error, ms };
          if (attempt.joined) entry.joined = true;
          record.upstream.push(entry);
        },
      };
      (scope.upstreamObservers ??= []).push(() => watch);
    },
    onParams({ request, params }) {
      const record = recordOf(request);
      if (record && record.operationName === undefined && typeof params.operationName === 'string' && params.operationName) {
        record.operationName = params.operationName.slice(0, 100);
      }
    },
    onExecute({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      const record = request && recordOf(request);
      if (!record) return;
      const operation = getOperationAST(args.document, args.operationName);
      if (operation?.name) record.operationName = operation.name.value;
      if (operation) record.operationType = operation.operation;
      // Cost is recorded per operation in validation; a batch logs the sum.
      const cost = operationCostOf(args.contextValue as object)?.cost;
      if (cost !== undefined) record.cost = (record.cost ?? 0) + cost;
    },
    onResultProcess({ request, result }) {
      const record = recordOf(request);
      if (!record) return;
      for (const single of Array.isArray(result) ? result : [result]) {
        for (const error of (single as { errors?: readonly { extensions?: { code?: unknown } }[] }).errors ?? []) {
          const code = error.extensions?.code;
          if (typeof code === 'string') (record.errorCodes ??= new Set()).add(code.slice(0, 64));
        }
      }
    },
    onResponse({ request, response, serverContext }) {
      if (!writes()) return;
      const record = recordOf(request);
      const scope = serverContext.portico;
      // One object, its fields assigned in the order they are read (a line per request: spreading
      // a temporary object per optional field was most of this hook's allocation).
      const line: Record<string, unknown> = { requestId: scope?.requestId };
      if (scope?.traceId) line['traceId'] = scope.traceId;
      line['bff'] = bff;
      line['method'] = request.method;
      line['path'] = pathOf(request.url);
      line['operationName'] = record?.operationName;
      line['operationType'] = record?.operationType;
      if (record?.client.name !== undefined) line['clientName'] = record.client.name;
      if (record?.client.version !== undefined) line['clientVersion'] = record.client.version;
      line['status'] = response.status;
      line['durationMs'] = record === undefined ? undefined : Math.round((now() - record.startedAt) * 100) / 100;
      if (record?.cost !== undefined) line['cost'] = record.cost;
      writePrincipal(line, scope, hashSubject);
      if (record && record.upstream.length > 0) line['upstream'] = record.upstream;
      if (record && record.upstreamOmitted > 0) line['upstreamCallsOmitted'] = record.upstreamOmitted;
      if (scope?.stale?.length) line['stale'] = scope.stale.map((entry) => entry.source);
      if (record?.errorCodes) line['errors'] = [...record.errorCodes];
      writeLine(line);
    },
  };
}

/**
 * The path of an absolute request URL without building a URL object (one per line adds up). The
 * server hands yoga URLs it built itself, `http://host[:port]/path?query`.
 */
export function pathOf(url: string): string | undefined {
  const scheme = url.indexOf('://');
  if (scheme < 0) return undefined;
  const start = url.indexOf('/', scheme + 3);
  if (start < 0) return '/';
  let end = url.length;
  for (const stop of ['?', '#']) {
    const at = url.indexOf(stop, start);
    if (at >= 0 && at < end) end = at;
  }
  return url.slice(start, end);
}

function writePrincipal(line: Record<string, unknown>, scope: RequestScope | undefined, hashSubject: (principal: Principal) => string): void {
  const principal = scope?.principal;
  if (!principal || principal.kind === 'anonymous') {
    line['principal'] = 'anonymous';
    return;
  }
  line['principal'] = principal.kind;
  if (principal.subject) line['subject'] = hashSubject(principal);
  if (principal.tenant) line['tenant'] = principal.tenant;
}

/**
 * 16 hex digits (64 bits) of SHA-256 or HMAC-SHA256: enough to tell a fleet's users apart in
 * logs, and no raw user id in a log store that many people can read.
 */
export function subjectHasher(key: string | undefined): (subject: string) => string {
  return key
    ? (subject) => createHmac('sha256', key).update(subject).digest('hex').slice(0, 16)
    : (subject) => createHash('sha256').update(subject).digest('hex').slice(0, 16);
}
