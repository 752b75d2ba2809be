import type { GraphQLSchema } from 'graphql';
import type { PipelineEntry } from '../context/pipelineEntry.js';
import type { PorticoPlugin } from '../context/requestScope.js';
import { buildOpenApi, type OpenApiSecurity } from './buildOpenApi.js';
import { coerceParameters, type ParameterProblem } from './coerceParameters.js';
import type { CompiledRoute, RouteTable } from './compileRoutes.js';
import { ifNoneMatchHits, strongEtag } from './conditionalRequest.js';
import { deprecationHeaders } from './deprecationHeaders.js';
import { matchRoutePath, parseRoutePath, splitPathname } from './routePath.js';
import { problem, toRestResponse, type Problem, type RestResult } from './toRestResponse.js';

export interface PartnerRoutesOptions {
  /** The BFF's routes, compiled against its schema at start-up (compileRoutes.ts). */
  table: RouteTable;
  /** The BFF's schema: response and parameter schemas of the OpenAPI documents come from it. */
  schema: GraphQLSchema;
  /** The credentials the BFF accepts, published as the documents' security schemes. */
  security: OpenApiSecurity;
  /** The BFF's GraphQL endpoint path, where the routes' GraphQL requests go. */
  graphqlPath: string;
  /** The BFF's whole pipeline, which each route re-enters with its stored operation. */
  pipeline: PipelineEntry;
}

/** A BFF's routes as start-up loads them (loadStoredOperations.ts); the pipeline adds its entry. */
export type PartnerRoutes = Omit<PartnerRoutesOptions, 'pipeline'>;

// Headers of the partner's request that describe its body or the connection, not the caller;
// the internal GraphQL request has a body and a connection of its own.
const NOT_FORWARDED = new Set([
  'accept',
  'accept-encoding',
  'connection',
  'content-encoding',
  'content-length',
  'content-type',
  'expect',
  'host',
  'if-match',
  'if-modified-since',
  'if-none-match',
  'if-unmodified-since',
  'keep-alive',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const VERSION_SEGMENT = /^v[1-9][0-9]*$/;

/**
 * Partner REST routes: `METHOD /vN/...` runs the route's stored GraphQL operation, and
 * `GET /vN/openapi.json` describes version N's routes.
 *
 * Why an in-process `yoga.fetch` of a GraphQL request, rather than executing the operation
 * directly: the route then goes through the very same pipeline as any GraphQL client —
 * authentication (the partner's own `Authorization` or API-key header is forwarded), cost, rate
 * limits, field authorization, breakers, error masking, the access log — so there is no second
 * copy of any policy to keep in step, and a policy added to the pipeline later covers the routes
 * without anyone remembering to. The GraphQL request carries only the stored document and the
 * variables built from declared parameters; nothing the partner sends can change the document.
 * The request scope (`context.portico`) is shared, so the request id and the client's abort
 * signal carry over. Costs one extra Request/Response object pair in memory, no socket.
 *
 * Runs in `onRequest`, so a route request never reaches yoga's GraphQL parsing: after the
 * request-id and access-log hooks (the route gets its own log line and id header), before
 * everything else.
 */
export function usePartnerRoutes(options: PartnerRoutesOptions): PorticoPlugin {
  const { table } = options;
  const vary = ['Authorization', ...(options.security.apiKeyHeader ? [options.security.apiKeyHeader] : [])].join(', ');
  const { maxBodyBytes, retryAfterSeconds } = table.config;
  const byVersion = new Map<string, CompiledRoute[]>();
  for (const route of table.routes) byVersion.set(route.path.version, [...(byVersion.get(route.path.version) ?? []), route]);
  const successors = new Map(table.routes.map((route) => [route, route.config.deprecated?.successor ? parseRoutePath(route.config.deprecated.successor) : undefined]));

  // Built once: a document is a pure function of the config and the schema.
  const documents = new Map<string, { body: string; etag: string }>();
  for (const [version, routes] of byVersion) {
    const body = JSON.stringify(
      buildOpenApi(routes, {
        schema: options.schema,
        title: table.config.title,
        ...(table.config.description ? { description: table.config.description } : {}),
        version,
        security: options.security,
      }),
    );
    documents.set(version, { body, etag: strongEtag(body) });
  }

  const { pipeline } = options;

  return {
    async onRequest({ request, url, serverContext, endResponse, fetchAPI }) {
      const segments = splitPathname(url.pathname);
      const version = segments[0];
      if (version === undefined || !VERSION_SEGMENT.test(version) || url.pathname === options.graphqlPath) return;
      const scope = serverContext.portico;
      if (!scope) throw new Error('partner routes: the server created no request scope');
      const requestId = scope.requestId;
      const send = (result: RestResult) => endResponse(toResponse(fetchAPI, request.method, result));
      const fail = (body: Problem, headers: Record<string, string> = {}) =>
        send({ status: body.status, headers, body: requestId ? { ...body, requestId } : body, isProblem: true });

      const method = request.method === 'HEAD' ? 'GET' : request.method;
      if (segments.length === 2 && segments[1] === 'openapi.json') {
        const document = documents.get(version);
        if (!document) return fail(problem('NOT_FOUND'));
        if (method !== 'GET') return fail(problem('OPERATION_NOT_ALLOWED', { detail: 'The OpenAPI document is read with GET.' }), { allow: 'GET, HEAD' });
        return send(conditional(request, { status: 200, headers: { 'cache-control': 'no-cache' }, body: document.body, isProblem: false }, document.etag));
      }

      let route: CompiledRoute | undefined;
      let pathValues: Record<string, string> | undefined;
      const allowed: string[] = [];
      for (const candidate of byVersion.get(version) ?? []) {
        const values = matchRoutePath(candidate.path, segments);
        if (!values) continue;
        allowed.push(candidate.method);
        if (candidate.method === method) {
          route = candidate;
          pathValues = values;
        }
      }
      if (allowed.length === 0) return fail(problem('NOT_FOUND'));
      if (!route || !pathValues) {
        const allow = [...new Set(allowed.flatMap((m) => (m === 'GET' ? ['GET', 'HEAD'] : [m])))].join(', ');
        return fail(problem('OPERATION_NOT_ALLOWED', { detail: `This route answers ${allow}.` }), { allow });
      }

      let body: Record<string, unknown> | undefined;
      if (method !== 'GET') {
        const read = await readJsonObject(request, maxBodyBytes);
        if ('problem' in read) return fail(read.problem);
        body = read.value;
      }
      const coerced = coerceParameters(route.parameters, { path: pathValues, query: url.searchParams, ...(body ? { body } : {}) });
      if ('problems' in coerced) return fail(parameterProblem(coerced.problems));

      const headers = new fetchAPI.Headers();
      request.headers.forEach((value, name) => {
        if (!NOT_FORWARDED.has(name.toLowerCase())) headers.set(name, value);
      });
      headers.set('content-type', 'application/json');
      headers.set('accept', 'application/graphql-response+json');
      if (requestId) headers.set('x-request-id', requestId);
      const graphqlRequest = new fetchAPI.Request(new URL(options.graphqlPath, url).href, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query: route.document, operationName: route.operationName, variables: coerced.variables }),
      });

      let answer: Response;
      let parsed: unknown;
      try {
        answer = await pipeline.fetch(graphqlRequest, { ...serverContext, portico: scope });
        const text = await answer.text();
        parsed = text ? (JSON.parse(text) as unknown) : undefined;
      } catch (error) {
        // The pipeline masks and logs its own failures; reaching here means the client went
        // away mid-answer or the answer was not JSON. Either way nothing internal is shown.
        if (scope.signal?.aborted) throw error;
        return fail(problem('INTERNAL_SERVER_ERROR'));
      }
      const result = toRestResponse(
        { status: answer.status, headers: answer.headers, body: parsed },
        { rootKey: route.rootKey, partial: route.config.partial, retryAfterSeconds, ...(requestId ? { requestId } : {}) },
      );
      if (route.config.deprecated) Object.assign(result.headers, deprecationHeaders(route.config.deprecated, successors.get(route), pathValues));
      if (result.isProblem || method !== 'GET' || result.headers['cache-control'] === 'no-store') {
        return send({ ...result, body: result.body === undefined ? undefined : JSON.stringify(result.body) });
      }
      // Per caller (their credentials decide what they may read), and always revalidated.
      result.headers['cache-control'] = 'private, no-cache';
      result.headers.vary = vary;
      const json = JSON.stringify(result.body);
      return send(conditional(request, { ...result, body: json }, strongEtag(json)));
    },
  };
}

/** Adds the ETag, and turns the answer into 304 when the client already holds this body. */
function conditional(request: Request, result: RestResult, etag: string): RestResult {
  result.headers.etag = etag;
  if (ifNoneMatchHits(request.headers.get('if-none-match'), etag)) {
    return { status: 304, headers: result.headers, isProblem: false };
  }
  return result;
}

function toResponse(fetchAPI: { Response: typeof Response }, method: string, result: RestResult): Response {
  const headers: Record<string, string> = { ...result.headers };
  let body: string | null = null;
  if (result.body !== undefined && result.status !== 304) {
    body = typeof result.body === 'string' ? result.body : JSON.stringify(result.body);
    headers['content-type'] = result.isProblem ? 'application/problem+json' : 'application/json; charset=utf-8';
  }
  return new fetchAPI.Response(method === 'HEAD' ? null : body, { status: result.status, headers });
}

function parameterProblem(problems: readonly ParameterProblem[]): Problem {
  const first = problems[0]!;
  const where = first.in === 'body' ? 'Body property' : first.in === 'path' ? 'Path parameter' : 'Query parameter';
  return problem('BAD_USER_INPUT', {
    detail: `${where} "${first.name}" ${first.reason}.`,
    invalidParams: problems.map(({ name, in: location, reason }) => ({ name, in: location, reason })),
  });
}

const JSON_MEDIA_TYPE = /^application\/([a-z0-9.+-]*\+)?json\s*(;|$)/i;

/**
 * The request body as a JSON object; an empty body is an empty object. Reads at most
 * `maxBytes`, whatever Content-Length claims, so a slow or lying client cannot make the gateway
 * buffer more.
 */
async function readJsonObject(request: Request, maxBytes: number): Promise<{ value: Record<string, unknown> } | { problem: Problem }> {
  const declared = Number(request.headers.get('content-length') ?? 0);
  if (declared > maxBytes) return { problem: problem('PAYLOAD_TOO_LARGE', { detail: `The body may be ${maxBytes} bytes at most.` }) };
  const chunks: Uint8Array[] = [];
  let size = 0;
  if (request.body) {
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader.cancel();
        return { problem: problem('PAYLOAD_TOO_LARGE', { detail: `The body may be ${maxBytes} bytes at most.` }) };
      }
      chunks.push(value);
    }
  }
  if (size === 0) return { value: {} };
  if (!JSON_MEDIA_TYPE.test(request.headers.get('content-type') ?? '')) {
    return { problem: problem('UNSUPPORTED_MEDIA_TYPE', { detail: 'Send the body as application/json.' }) };
  }
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    return { problem: problem('BAD_REQUEST', { detail: 'The body is not valid JSON.' }) };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { problem: problem('BAD_REQUEST', { detail: 'The body must be a JSON object.' }) };
  }
  return { value: value as Record<string, unknown> };
}
