import { execute, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { LoadedBff, PorticoConfig } from '../config/loadConfig.js';
import { buildSourceRuntime, type SourceRuntime } from '../compose/buildSourceRuntime.js';
import { composeBffSchema } from '../compose/composeBffSchema.js';
import type { QueryPlanner } from '../sources/federation/planner/queryPlanner.js';
import type { UpstreamRequest, UpstreamResponse } from '../transport/httpClient.js';
import { PLACEHOLDER, mockGraphQLResponse } from './mockValues.js';
import { mockRestResponder } from './mockRestResponses.js';

/** One call stitching made to a source while the operation ran over placeholder data. */
export interface TracedCall {
  /** Order in which the calls were made, from 1. */
  seq: number;
  /**
   * 1 for calls made before any source answered; otherwise one more than the latest round whose
   * answer had arrived: calls of one round go out together, a later round needs an earlier answer.
   */
  round: number;
  /** The upstream: a source, or `source/subgraph` for a federation subgraph. */
  source: string;
  kind: 'graphql' | 'rest';
  method: 'GET' | 'POST';
  /** The path and query (REST) or endpoint (GraphQL), with placeholders decoded for reading. */
  url: string;
  /** GraphQL calls: the document, variables and operation name sent. */
  query?: string;
  variables?: Record<string, unknown>;
  operationName?: string;
  /**
   * Set when the call's URL is built from data (`{Product.id}`): stitching makes it once per
   * distinct value, so the real count depends on the data.
   */
  perDistinct?: string[];
  /** Identical to a call still in flight: the transport shares that exchange (in-flight dedup). */
  sharedWith?: number;
}

/** A BFF's schema built over sources that record their calls and answer with placeholders. */
export interface TraceableBff {
  schema: GraphQLSchema;
  planner?: QueryPlanner;
  runtimes: ReadonlyMap<string, SourceRuntime>;
  /**
   * Runs the operation as the BFF's execution would (its query planner when it has one, which
   * falls back to stitching for what it does not support; stitching otherwise) and returns the
   * calls the sources received, in order, and which engine ran it.
   */
  trace(document: DocumentNode, variables: Record<string, unknown>, operationName: string | undefined): Promise<TraceResult>;
}

export interface TraceResult {
  calls: TracedCall[];
  errors: string[];
  ranBy: 'plan' | 'stitching';
}

type Responder = (request: UpstreamRequest) => Promise<{ status: number; body: unknown; batch?: boolean }>;

/**
 * Builds `bff` exactly as start-up does (buildSourceRuntime, composeBffSchema), except that each
 * source's HTTP call is a recorder: nothing leaves the process. GraphQL calls are answered by
 * executing them against the source's own subschema with placeholder data (mockValues.ts); REST
 * calls by placeholder JSON of the SDL's types (mockRestResponses.ts). Answers arrive on a later
 * turn of the event loop, like network answers, so stitching batches calls as it does for real.
 */
export function buildTraceableBff(config: PorticoConfig, bff: LoadedBff): TraceableBff {
  const responders = new Map<string, Responder>();
  let recording: ((request: UpstreamRequest, upstream: string) => Promise<UpstreamResponse>) | undefined;
  const httpFor = (upstream: string) => (request: UpstreamRequest) => {
    if (!recording) return Promise.reject(new Error(`${upstream} called outside a trace`));
    return recording(request, upstream);
  };

  const runtimes = new Map<string, SourceRuntime>();
  for (const name of bff.sources) {
    const source = config.sources[name]!;
    const runtime = buildSourceRuntime(source, { httpFor });
    runtimes.set(name, runtime);
    if (source.kind === 'rest') {
      const respond = mockRestResponder(source.sdl!);
      responders.set(name, (request) => Promise.resolve(respond(request.url)));
    } else {
      for (const subschema of runtime.subschemas) {
        const upstream = source.kind === 'graphql' ? name : `${name}/${subschema.name ?? ''}`;
        responders.set(upstream, async (request) => ({ status: 200, body: await mockGraphQLResponse(subschema.schema, request.body ?? '{}') }));
      }
    }
  }
  const { schema, planner } = composeBffSchema(bff, runtimes);

  return {
    schema,
    ...(planner ? { planner } : {}),
    runtimes,
    async trace(document, variables, operationName) {
      const calls: TracedCall[] = [];
      const inFlight = new Map<string, TracedCall>();
      let answeredRound = 0;
      recording = async (request, upstream) => {
        const identity = `${upstream} ${request.method} ${request.url} ${request.body ?? ''}`;
        const call = describe(request, upstream, calls.length + 1, answeredRound + 1);
        const twin = inFlight.get(identity);
        if (twin) call.sharedWith = twin.seq;
        else inFlight.set(identity, call);
        calls.push(call);
        const respond = responders.get(upstream);
        // A later turn of the event loop, as for a network answer.
        await new Promise((resolve) => setImmediate(resolve));
        const answer = respond ? await respond(request) : { status: 404, body: null };
        // A batch endpoint takes every key in one call; any other URL built from data is called per value.
        if (call.kind === 'rest' && !answer.batch) {
          const keys = [...new Set(call.url.match(new RegExp(PLACEHOLDER.source, 'g')) ?? [])];
          if (keys.length > 0) call.perDistinct = keys.map((key) => key.slice(1, -1));
        }
        inFlight.delete(identity);
        answeredRound = Math.max(answeredRound, call.round);
        return { status: answer.status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(answer.body) };
      };
      try {
        const args = { schema, document, variableValues: variables, operationName: operationName ?? null, contextValue: {} };
        let fellBack = false;
        // The planner is handed stitching as its fallback, as the pipeline hands it (useQueryPlanner.ts).
        const result = (await (planner
          ? planner(args, (fallbackArgs) => {
              fellBack = true;
              return execute(fallbackArgs);
            })
          : execute(args))) as ExecutionResult;
        return { calls, errors: (result.errors ?? []).map((error) => error.message), ranBy: planner && !fellBack ? 'plan' : 'stitching' };
      } finally {
        recording = undefined;
      }
    },
  };
}

function describe(request: UpstreamRequest, upstream: string, seq: number, round: number): TracedCall {
  const url = new URL(request.url);
  if (request.method === 'POST' && request.body) {
    const body = JSON.parse(request.body) as { query: string; variables?: Record<string, unknown>; operationName?: string };
    return {
      seq,
      round,
      source: upstream,
      kind: 'graphql',
      method: 'POST',
      url: url.pathname,
      query: body.query,
      ...(body.variables && Object.keys(body.variables).length > 0 ? { variables: body.variables } : {}),
      ...(body.operationName ? { operationName: body.operationName } : {}),
    };
  }
  return { seq, round, source: upstream, kind: 'rest', method: request.method, url: decodeURIComponent(url.pathname + url.search) };
}
