import {
  GraphQLError,
  GraphQLInterfaceType,
  GraphQLObjectType,
  GraphQLUnionType,
  responsePathAsArray,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLFieldResolver,
  type GraphQLSchema,
} from 'graphql';
import { normalizedExecutor } from '@graphql-tools/executor';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { DEFER_LABEL_PREFIX, SHAPE_TYPENAME, type DeferredSplit } from './splitDeferredOperation.js';

/** Runs one ordinary (non-incremental) operation: the engine's execute, planner or stitching. */
export type PartExecute = (args: ExecutionArgs) => unknown;

/** The answer of one part (initial or deferred), and its errors indexed by path. */
interface Part {
  data: Record<string, unknown> | null | undefined;
  errors: readonly GraphQLError[];
}

type Path = readonly (string | number)[];
type Payload = ExecutionResult & { hasNext?: boolean; incremental?: Incremental[] };
type Incremental = { data?: unknown; items?: unknown[]; path: Path; label?: string; errors?: readonly GraphQLError[] };

/**
 * Executes a split operation (splitDeferredOperation): the initial part and every deferred part
 * start at once through `execute` (so through the planner or stitching, each planned as its own
 * steps); the answer is shaped by @graphql-tools/executor, the executor yoga itself runs, over the
 * client's operation, which sends the first payload as soon as the initial part is answered and a
 * deferred fragment's payload once its own part is. A deferred field reads its part's data at its
 * path; a part's errors travel in the payload of the fragment they lie under, at their own paths.
 *
 * Returns the executor's answer: an async iterable of payloads (`{ data, hasNext }`, then
 * `{ incremental: [...], hasNext }`), or one result when nothing ended up deferred.
 */
export async function executeIncrementally(args: ExecutionArgs & { signal?: AbortSignal }, split: DeferredSplit, execute: PartExecute): Promise<unknown> {
  const run = (document: ExecutionArgs['document']): Promise<Part> =>
    Promise.resolve(execute({ ...args, document, operationName: undefined })).then((result) => asPart(result));
  // Every part starts now: no deferred fetch waits for the initial one, nor the initial for them.
  const deferred = split.deferred.map((part) => run(part.document));
  // Settled by whoever reads them; a part nobody reads (its parent null) must not be an unhandled rejection.
  for (const part of deferred) part.catch(() => undefined);
  const initial = await run(split.initial);
  if (!initial.data) return { data: initial.data ?? null, errors: initial.errors };

  const treeOf = new WeakMap<object, Part>();
  treeOf.set(initial.data, initial);
  const adopt = (value: unknown, part: Part): void => {
    if (Array.isArray(value)) for (const item of value) adopt(item, part);
    else if (typeof value === 'object' && value !== null) treeOf.set(value, part);
  };
  const take = (value: unknown, part: Part, path: Path): unknown => {
    if (value === null || value === undefined) return errorUnder(part, path) ?? null;
    adopt(value, part);
    return value;
  };

  const fieldResolver: GraphQLFieldResolver<Record<string, unknown>, unknown> = (source, _args, _context, info) => {
    const key = info.path.key as string;
    if (Object.hasOwn(source, key)) return take(source[key], treeOf.get(source) ?? initial, responsePathAsArray(info.path));
    const parts = split.defersOf.get(info.fieldNodes[0]!);
    if (!parts) return null;
    const path = responsePathAsArray(info.path);
    return (async () => {
      for (const index of parts) {
        const part = await deferred[index]!;
        const { parent, reached } = walk(part.data, path.slice(0, -1));
        if (parent && Object.hasOwn(parent, key)) return take(parent[key], part, path);
        const own = errorUnder(part, path);
        if (own) return own;
        // The part's data is gone above this field: an error elsewhere in the part nulled a
        // shared ancestor (the path down to the fragment is fetched once for all its objects).
        // This fragment is answered with that cause, at its own path.
        const cause = errorUnder(part, path.slice(0, reached + 1));
        if (cause) return new GraphQLError(cause.message, { path, nodes: info.fieldNodes, extensions: cause.extensions });
      }
      return null;
    })();
  };

  const result = (await normalizedExecutor({
    schema: shapingSchema(args.schema),
    document: split.shape,
    rootValue: initial.data,
    contextValue: args.contextValue,
    variableValues: args.variableValues,
    fieldResolver,
    ...(args.signal ? { signal: args.signal } : {}),
  })) as Payload | AsyncIterable<Payload>;

  // Errors of a part that no field returned (under a null the executor never walked into) still
  // reach the client, in the payload of the fragment they belong to; each error once.
  const sent = new WeakSet<GraphQLError>();
  const withPartErrors = (own: readonly GraphQLError[] | undefined, part: Part, at: Path): GraphQLError[] | undefined => {
    const errors = [...(own ?? [])];
    for (const error of errors) sent.add(error);
    for (const error of part.errors) {
      if (sent.has(error) || !related(error.path ?? [], at)) continue;
      sent.add(error);
      errors.push(error);
    }
    return errors.length > 0 ? errors : undefined;
  };
  if (!isAsyncIterable(result)) {
    const errors = withPartErrors(result.errors, initial, []);
    return { ...result, ...(errors ? { errors } : {}) };
  }
  return mapPayloads(result, async (payload, first) => {
    if (first) {
      const errors = withPartErrors(payload.errors, initial, []);
      return { ...payload, ...(errors ? { errors } : {}) };
    }
    if (!payload.incremental) return payload;
    const incremental: Incremental[] = [];
    for (const entry of payload.incremental) {
      if (entry.label === undefined || !entry.label.startsWith(DEFER_LABEL_PREFIX)) {
        incremental.push(entry);
        continue;
      }
      const index = Number(entry.label.slice(DEFER_LABEL_PREFIX.length));
      const { label: _internal, ...rest } = entry;
      const clientLabel = split.deferred[index]?.label;
      const errors = withPartErrors(entry.errors, await deferred[index]!, entry.path);
      incremental.push({ ...rest, ...(clientLabel !== undefined ? { label: clientLabel } : {}), ...(errors ? { errors } : {}) });
    }
    return { ...payload, incremental };
  });
}

function asPart(result: unknown): Part {
  if (typeof result !== 'object' || result === null || Symbol.asyncIterator in result) {
    throw new Error('a part of a deferred operation did not execute to one result');
  }
  const { data, errors } = result as ExecutionResult;
  return { data: data as Record<string, unknown> | null | undefined, errors: (errors ?? []) as GraphQLError[] };
}

/** The object at `path` (list indices included), or how far the walk got before a null. */
function walk(data: unknown, path: Path): { parent: Record<string, unknown> | undefined; reached: number } {
  let current = data;
  for (let depth = 0; depth < path.length; depth++) {
    if (typeof current !== 'object' || current === null) return { parent: undefined, reached: depth - 1 };
    current = (current as Record<string | number, unknown>)[path[depth]!];
  }
  return typeof current === 'object' && current !== null ? { parent: current as Record<string, unknown>, reached: path.length - 1 } : { parent: undefined, reached: path.length - 1 };
}

/** The first error of the part at or below `path`: what left a null there. */
function errorUnder(part: Part, path: Path): GraphQLError | undefined {
  return part.errors.find((error) => error.path !== undefined && startsWith(error.path, path));
}

/** An error belongs to a payload at `at` when it lies under it, or on the way down to it. */
function related(errorPath: Path, at: Path): boolean {
  return startsWith(errorPath, at) || startsWith(at, errorPath);
}

function startsWith(path: Path, prefix: Path): boolean {
  if (path.length < prefix.length) return false;
  for (let index = 0; index < prefix.length; index++) if (path[index] !== prefix[index]) return false;
  return true;
}

const shapingSchemas = new WeakMap<GraphQLSchema, GraphQLSchema>();

/**
 * The client schema without resolvers (the executor reads the parts' data through the field
 * resolver) and with abstract types resolved from the `__typename` every split part selects.
 */
function shapingSchema(schema: GraphQLSchema): GraphQLSchema {
  let shaping = shapingSchemas.get(schema);
  if (!shaping) {
    const resolveType = (value: unknown) => (value as Record<string, unknown>)[SHAPE_TYPENAME] as string | undefined;
    shaping = mapSchema(schema, {
      [MapperKind.COMPOSITE_FIELD]: (config) => ({ ...config, resolve: undefined, subscribe: undefined }),
      [MapperKind.OBJECT_TYPE]: (type) => new GraphQLObjectType({ ...type.toConfig(), isTypeOf: undefined }),
      [MapperKind.INTERFACE_TYPE]: (type) => new GraphQLInterfaceType({ ...type.toConfig(), resolveType }),
      [MapperKind.UNION_TYPE]: (type) => new GraphQLUnionType({ ...type.toConfig(), resolveType }),
    });
    shapingSchemas.set(schema, shaping);
  }
  return shaping;
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Payload> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** The payloads mapped one by one, in order; returning (client gone) ends the source too. */
function mapPayloads(source: AsyncIterable<Payload>, map: (payload: Payload, first: boolean) => Promise<Payload>): AsyncIterableIterator<Payload> {
  const iterator = source[Symbol.asyncIterator]();
  let first = true;
  return {
    [Symbol.asyncIterator]() {
      return this;
    },
    async next() {
      const step = await iterator.next();
      if (step.done) return step;
      const value = await map(step.value, first);
      first = false;
      return { done: false, value };
    },
    async return() {
      await iterator.return?.();
      return { done: true, value: undefined };
    },
  };
}
