import { OperationTypeNode, print, type DocumentNode } from 'graphql';
import { getOperationASTFromRequest, type ExecutionRequest, type ExecutionResult, type Executor } from '@graphql-tools/utils';
import { porticoError } from '../../errors/index.js';
import type { HttpCall } from '../../transport/httpClient.js';
import { callSignalOf, scopeOf } from '../../context/requestScope.js';
import type { SubscriptionExecutor } from './createSubscriptionExecutor.js';
import { multipartBody, uploadsIn } from './multipartBody.js';

export interface GraphQLExecutorOptions {
  /** Source name: goes to logs and `extensions.source`, never the URL. */
  source: string;
  url: string;
  http: HttpCall;
  /** Where subscription operations go (createSubscriptionExecutor.ts). @default refused: the source has none */
  subscriptions?: SubscriptionExecutor;
}

// Delegation builds a new document per call, but the same operation arrives with the same
// DocumentNode instance when plans are cached; printing, and escaping the printed text as a JSON
// string (a few hundred characters scanned on every call), are the costliest steps: memoise both.
const printedAsJson = new WeakMap<DocumentNode, string>();
function queryAsJson(document: DocumentNode): string {
  let text = printedAsJson.get(document);
  if (text === undefined) {
    text = JSON.stringify(print(document));
    printedAsJson.set(document, text);
  }
  return text;
}

/** `JSON.stringify({ query, variables, operationName })`, byte for byte, with the query's part memoised. */
export function requestBody(document: DocumentNode, variables: unknown, operationName: string | undefined): string {
  let body = `{"query":${queryAsJson(document)}`;
  // JSON.stringify leaves out a member whose value is undefined (or a function or symbol).
  const vars = variables === undefined ? undefined : JSON.stringify(variables);
  if (vars !== undefined) body += `,"variables":${vars}`;
  if (operationName !== undefined) body += `,"operationName":${JSON.stringify(operationName)}`;
  return `${body}}`;
}

/** An executor that POSTs GraphQL-over-HTTP to one upstream through the shared pool. */
export function createGraphQLExecutor(options: GraphQLExecutorOptions): Executor {
  const { source, url, http } = options;
  const { subscriptions } = options;
  const executeRemote = async (request: ExecutionRequest): Promise<ExecutionResult> => {
    const scope = scopeOf(request.context);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...scope?.upstreamHeaders,
    };
    if (scope) headers['x-request-id'] = scope.requestId;
    const body = requestBody(request.document, request.variables, request.operationName);
    // File uploads among the variables: the call becomes a multipart request whose files are
    // piped from the client's as they arrive (multipartBody.ts), sent once.
    const uploads = scope?.uploads ? uploadsIn(request.variables) : undefined;
    const multipart = uploads && multipartBody(body, uploads);
    if (multipart) {
      headers['content-type'] = multipart.contentType;
      // Servers that take uploads ask for a preflight header against CSRF (Apollo Server's name).
      headers['apollo-require-preflight'] = 'true';
    }
    const call = http({
      method: 'POST',
      url,
      headers,
      ...(multipart ? { streamedBody: multipart.body } : { body }),
      signal: request.signal ?? callSignalOf(scope),
      source,
      // Only queries may be retried or served from the fallback cache; a mutation is sent once.
      idempotent: !multipart && (request.operationType ?? getOperationASTFromRequest(request).operation) === OperationTypeNode.QUERY,
      scope,
    });
    // An upload cut short (too large, missing) is the client's doing: that error, not the
    // source's being unreachable, is what it hears.
    const response = multipart ? await call.catch((error: unknown) => Promise.reject(multipart.failure() ?? error)) : await call;
    let parsed: unknown;
    try {
      parsed = JSON.parse(response.body);
    } catch {
      throw porticoError('SUBGRAPH_BAD_RESPONSE', { details: { source } });
    }
    if (!isExecutionResult(parsed)) {
      throw porticoError(response.status >= 500 ? 'SUBGRAPH_ERROR' : 'SUBGRAPH_BAD_RESPONSE', {
        details: { source },
      });
    }
    return parsed;
  };
  if (!subscriptions) return executeRemote as Executor;
  // A subscription is a stream over its own connection, not a POST through the pool: only its
  // operation type decides which way a request goes.
  return ((request: ExecutionRequest) =>
    (request.operationType ?? getOperationASTFromRequest(request).operation) === OperationTypeNode.SUBSCRIPTION
      ? subscriptions(request)
      : executeRemote(request)) as Executor;
}

function isExecutionResult(value: unknown): value is ExecutionResult {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return 'data' in v || Array.isArray(v.errors);
}
