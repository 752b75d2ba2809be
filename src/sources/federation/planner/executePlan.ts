import { GraphQLError, type ExecutionResult, type GraphQLFormattedError } from 'graphql';
import { isAsyncIterable, type ExecutionRequest, type Executor } from '@graphql-tools/utils';
import { porticoError } from '../../../errors/index.js';
import type { ContextRead, ContextVariable, FetchNode, QueryPlan, RepresentationField } from './planOperation.js';

/**
 * Errors waiting at a field of an object of the merged data, by response key. A symbol, so
 * nothing a subgraph sends can collide with it and it never reaches a serialised response.
 */
export const FIELD_ERRORS = Symbol('portico.fieldErrors');

/** Set on an object a subgraph's `_entities` answered null for, without an error: it has no such entity. */
const NOT_FOUND = Symbol('portico.entityNotFound');
type DataObject = Record<string, unknown> & { [FIELD_ERRORS]?: Record<string, GraphQLError>; [NOT_FOUND]?: true };

export interface PlanExecution {
  /** Every fetch's data merged into one tree, keyed by response keys (internal aliases included). */
  data: DataObject;
  /** Subgraph errors that could not be tied to a field (SUBGRAPH_ERROR, at the fetch's first field). */
  errors: GraphQLError[];
}

export interface ExecutePlanOptions {
  executorFor(subgraph: string): Executor;
  /** Coerced client variables; each fetch sends the ones its document uses. */
  variables: Readonly<Record<string, unknown>>;
  /** The request's context: executors read the request scope (identity, deadline) from it. */
  context: unknown;
  signal?: AbortSignal | undefined;
  /**
   * A root fetch whose answer is already in hand, so it is not sent: a subscription's event
   * answers its plan's root fetch (the upstream stream), and only the fetches below it run.
   */
  answered?: { node: FetchNode; result: ExecutionResult };
}

/**
 * Runs a plan: each step after the previous one; within a step, every fetch as soon as the
 * fetches it reads from are done. A failed fetch never stops the others: its error is put at
 * the fields it was to fill, so the rest of the answer arrives, as with stitching.
 */
export async function executePlan(plan: QueryPlan, options: ExecutePlanOptions): Promise<PlanExecution> {
  const execution: PlanExecution = { data: {}, errors: [] };
  for (const step of plan.steps) {
    const started = new Map<FetchNode, Promise<void>>();
    const start = (node: FetchNode): Promise<void> => {
      let running = started.get(node);
      if (!running) {
        running =
          node.deps.length === 0
            ? runFetch(node, execution, options)
            : Promise.all(node.deps.map(start)).then(() => runFetch(node, execution, options));
        started.set(node, running);
      }
      return running;
    };
    await Promise.all(step.map(start));
  }
  return execution;
}

async function runFetch(node: FetchNode, execution: PlanExecution, options: ExecutePlanOptions): Promise<void> {
  if (node.kind === 'root') {
    const result = options.answered?.node === node ? options.answered.result : await call(node, variablesFor(node, options.variables), options);
    if (result instanceof Error) {
      for (const key of node.errorKeys) markError(execution.data, key, result);
      return;
    }
    if (isObject(result.data)) mergeInto(execution.data, result.data);
    for (const error of result.errors ?? []) placeError(execution, [execution.data], node, error, error.path ?? []);
    return;
  }

  if (!node.context) {
    await runEntityFetch(node, collect(execution.data, node.paths, node.collect), {}, execution, options);
    return;
  }
  // A field with @fromContext arguments: one fetch per distinct set of values its objects'
  // ancestors give, each value sent as the fetch's variable.
  const groups = new Map<string, { values: Record<string, unknown>; objects: DataObject[] }>();
  for (const { object, values } of collectInContext(execution.data, node.paths, node.collect, node.context)) {
    const id = JSON.stringify(values);
    let group = groups.get(id);
    if (!group) groups.set(id, (group = { values, objects: [] }));
    group.objects.push(object);
  }
  await Promise.all([...groups.values()].map((group) => runEntityFetch(node, group.objects, group.values, execution, options)));
}

async function runEntityFetch(
  node: FetchNode,
  objects: readonly DataObject[],
  contextValues: Record<string, unknown>,
  execution: PlanExecution,
  options: ExecutePlanOptions,
): Promise<void> {
  // Objects that share a representation are the same entity: it is asked for once.
  const targets: DataObject[][] = [];
  const representations: Record<string, unknown>[] = [];
  const indexOf = new Map<string, number>();
  for (const object of objects) {
    const representation = representationOf(object, node.typeName, node.representation);
    // An object without its key (another subgraph found no such entity): its fields stay null.
    if (representation === null) continue;
    if (representation === undefined) {
      const cause = causeOfMissing(object, node.representation) ?? porticoError('SUBGRAPH_ERROR', { details: { source: node.subgraph } });
      for (const key of node.errorKeys) markError(object, key, cause);
      continue;
    }
    const id = JSON.stringify(representation);
    let index = indexOf.get(id);
    if (index === undefined) {
      index = representations.length;
      indexOf.set(id, index);
      representations.push(representation);
      targets.push([]);
    }
    targets[index]!.push(object);
  }
  if (representations.length === 0) return;

  const result = await call(node, { ...variablesFor(node, options.variables), ...contextValues, representations }, options);
  if (result instanceof Error) {
    for (const group of targets) for (const object of group) for (const key of node.errorKeys) markError(object, key, result);
    return;
  }
  const entities = isObject(result.data) ? result.data._entities : undefined;
  if (Array.isArray(entities)) {
    for (let index = 0; index < targets.length; index++) {
      const entity = entities[index];
      if (entity === null) for (const object of targets[index]!) object[NOT_FOUND] = true;
      if (!isObject(entity)) continue;
      for (const object of targets[index]!) mergeInto(object, entity);
    }
  }
  for (const error of result.errors ?? []) {
    const [first, index, ...rest] = error.path ?? [];
    if (first === '_entities' && typeof index === 'number' && targets[index]) {
      placeError(execution, targets[index]!, node, error, rest);
      if (Array.isArray(entities) && entities[index] === null) {
        for (const object of targets[index]!) {
          const at = pathTo(execution.data, object);
          const located = new GraphQLError(error.message, { ...(error.extensions ? { extensions: error.extensions } : {}), ...(at ? { path: [...at, ...rest] } : {}) });
          for (const key of node.errorKeys) markError(object, key, located);
        }
      }
    } else {
      placeError(execution, targets.flat(), node, error, []);
    }
  }
}

/**
 * Opens the stream a subscription plan's root fetch stands for: the source's events, each of
 * which then answers that fetch (`answered`). A source that refuses, or cannot be reached,
 * answers with its error instead (coded, as a fetch's would be).
 */
export async function subscribeRootFetch(
  node: FetchNode,
  options: Pick<ExecutePlanOptions, 'executorFor' | 'variables' | 'context' | 'signal'>,
): Promise<AsyncIterable<ExecutionResult> | ExecutionResult> {
  try {
    const result = await options.executorFor(node.subgraph)(requestFor(node, variablesFor(node, options.variables), options));
    if (isAsyncIterable(result)) return result as AsyncIterable<ExecutionResult>;
    if (isObject(result) && Array.isArray(result.errors) && result.errors.length > 0) {
      // Its errors as a fetch's are carried (message and extensions; no path: nothing was resolved).
      const errors = result.errors as GraphQLFormattedError[];
      return { errors: errors.map((error) => new GraphQLError(error.message, { ...(error.extensions ? { extensions: error.extensions } : {}) })) };
    }
    return { errors: [porticoError('SUBGRAPH_BAD_RESPONSE', { details: { source: node.subgraph } })] };
  } catch (error) {
    return { errors: [error instanceof GraphQLError ? error : porticoError('SUBGRAPH_ERROR', { details: { source: node.subgraph } })] };
  }
}

async function call(
  node: FetchNode,
  variables: Record<string, unknown>,
  options: ExecutePlanOptions,
): Promise<ExecutionResult | GraphQLError> {
  try {
    const result = await options.executorFor(node.subgraph)(requestFor(node, variables, options));
    if (isObject(result) && ('data' in result || 'errors' in result)) return result as ExecutionResult;
    return porticoError('SUBGRAPH_BAD_RESPONSE', { details: { source: node.subgraph } });
  } catch (error) {
    // The transport's errors carry catalogue codes (SUBGRAPH_UNAVAILABLE, SUBGRAPH_TIMEOUT, …).
    if (error instanceof GraphQLError) return error;
    return porticoError('SUBGRAPH_ERROR', { details: { source: node.subgraph } });
  }
}

function requestFor(node: FetchNode, variables: Record<string, unknown>, options: Pick<ExecutePlanOptions, 'context' | 'signal'>): ExecutionRequest {
  return {
    document: node.document,
    variables,
    operationType: node.operationType,
    context: options.context,
    ...(node.operationName ? { operationName: node.operationName } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  };
}

function variablesFor(node: FetchNode, variables: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const name of node.variableNames) if (name in variables) picked[name] = variables[name];
  return picked;
}

/** The objects at `paths` (lists flattened at every level) of one of the `types`; every one without. */
function collect(root: DataObject, paths: readonly (readonly string[])[], types: readonly string[] | undefined): DataObject[] {
  const found: DataObject[] = [];
  for (const path of paths) {
    let current: DataObject[] = [root];
    for (const key of path) {
      const next: DataObject[] = [];
      for (const object of current) pushObjects(next, object[key]);
      current = next;
    }
    for (const object of current) if (types === undefined || types.includes(object.__typename as string)) found.push(object);
  }
  return found;
}

/**
 * The objects at `paths` of one of `types`, each with the values its ancestors give for the
 * fetch's `@fromContext` variables. An object whose ancestor at the context's depth is not of
 * the type setting it is left out: it belongs to another branch of the plan.
 */
function collectInContext(
  root: DataObject,
  paths: readonly (readonly string[])[],
  types: readonly string[] | undefined,
  context: readonly ContextVariable[],
): { object: DataObject; values: Record<string, unknown> }[] {
  const found: { object: DataObject; values: Record<string, unknown> }[] = [];
  for (const path of paths) {
    let current: DataObject[][] = [[root]];
    for (const key of path) {
      const next: DataObject[][] = [];
      for (const line of current) {
        const objects: DataObject[] = [];
        pushObjects(objects, line.at(-1)![key]);
        for (const object of objects) next.push([...line, object]);
      }
      current = next;
    }
    next: for (const line of current) {
      const object = line.at(-1)!;
      if (types !== undefined && !types.includes(object.__typename as string)) continue;
      const values: Record<string, unknown> = {};
      for (const variable of context) {
        const ancestor = line[variable.depth];
        if (!ancestor || (variable.depth > 0 && ancestor.__typename !== variable.ancestorType)) continue next;
        values[variable.name] = contextValue(ancestor, variable.reads);
      }
      found.push({ object, values });
    }
  }
  return found;
}

/** A `@fromContext` argument's value, read on its ancestor (see ContextVariable.reads). */
function contextValue(ancestor: DataObject, reads: readonly ContextRead[]): unknown {
  if (reads.length === 1) return unwrapped(ancestor[reads[0]!.from], reads[0]!.selections);
  return shaped(ancestor, reads);
}

/** Down a chain of single-field selections to the value at its end. */
function unwrapped(value: unknown, reads: readonly ContextRead[] | undefined): unknown {
  if (value === undefined || value === null) return null;
  if (!reads) return value;
  if (Array.isArray(value)) return value.map((item) => unwrapped(item, reads));
  if (!isObject(value)) return null;
  return reads.length === 1 ? unwrapped(value[reads[0]!.from], reads[0]!.selections) : shaped(value, reads);
}

/** An object of the fields read (an input object argument), nested values likewise. */
function shaped(value: unknown, reads: readonly ContextRead[] | undefined): unknown {
  if (value === undefined || value === null) return null;
  if (!reads) return value;
  if (Array.isArray(value)) return value.map((item) => shaped(item, reads));
  if (!isObject(value)) return null;
  const object: Record<string, unknown> = {};
  for (const read of reads) object[read.name] = shaped(value[read.from], read.selections);
  return object;
}

function pushObjects(into: DataObject[], value: unknown): void {
  if (Array.isArray(value)) for (const item of value) pushObjects(into, item);
  else if (isObject(value)) into.push(value);
}

function representationOf(
  object: DataObject,
  typeName: string,
  fields: readonly RepresentationField[],
): Record<string, unknown> | null | undefined {
  const representation: Record<string, unknown> = { __typename: typeName };
  for (const field of fields) {
    const value = object[field.from];
    // No key: the subgraph that was to give it found no such object, which is no error.
    if (field.key && (value === null || (value === undefined && object[NOT_FOUND] === true))) return null;
    if (value === undefined) return undefined;
    representation[field.name] = field.selections ? project(value, field.selections) : value;
  }
  return representation;
}

function project(value: unknown, fields: readonly RepresentationField[]): unknown {
  if (Array.isArray(value)) return value.map((item) => project(item, fields));
  if (!isObject(value)) return value;
  const projected: Record<string, unknown> = {};
  for (const field of fields) {
    if (field.on) {
      // A fragment's field: only for objects of its types, which then say their type, as a
      // gateway sends an abstract value in a representation.
      if (typeof value.__typename !== 'string' || !field.on.includes(value.__typename)) continue;
      projected.__typename = value.__typename;
    }
    const inner = value[field.from];
    projected[field.name] = field.selections ? project(inner, field.selections) : inner;
  }
  return projected;
}

/**
 * Merges one fetch's answer into the objects it completes. Objects merge field by field and
 * lists item by item (both fetches saw the same list); a value never replaces one already there
 * except a null (a fetch that did not have it).
 */
function mergeInto(target: DataObject, source: Record<string, unknown>): void {
  for (const key in source) {
    const value = source[key];
    const existing = target[key];
    if (existing === undefined || existing === null) target[key] = value;
    else if (Array.isArray(existing) && Array.isArray(value)) mergeLists(existing, value);
    else if (isObject(existing) && isObject(value)) mergeInto(existing, value);
  }
}

function mergeLists(target: unknown[], source: unknown[]): void {
  for (let index = 0; index < source.length; index++) {
    const existing = target[index];
    const value = source[index];
    if (existing === undefined || existing === null) target[index] = value;
    else if (Array.isArray(existing) && Array.isArray(value)) mergeLists(existing, value);
    else if (isObject(existing) && isObject(value)) mergeInto(existing, value);
  }
}

function markError(object: DataObject, key: string, error: GraphQLError): void {
  const errors = (object[FIELD_ERRORS] ??= {});
  errors[key] ??= error;
}

/**
 * Puts a subgraph error at the field it names, below each object it concerns, so the
 * projection reports it at the client's path. An error whose field cannot be found (a path
 * through a null, or no path) goes on the fetch's own fields, or, failing those, to the top.
 */
function placeError(
  execution: PlanExecution,
  objects: readonly DataObject[],
  node: FetchNode,
  formatted: GraphQLFormattedError,
  relativePath: readonly (string | number)[],
): void {
  const error = new GraphQLError(formatted.message, { ...(formatted.extensions ? { extensions: formatted.extensions } : {}) });
  let placed = false;
  for (const object of objects) {
    if (relativePath.length === 0) {
      for (const key of node.errorKeys) {
        if (object[key] === undefined || object[key] === null) {
          markError(object, key, error);
          placed = true;
        }
      }
      continue;
    }
    let parent: unknown = object;
    let index = 0;
    for (; index < relativePath.length - 1; index++) {
      const next = (parent as Record<string | number, unknown>)[relativePath[index]!];
      if (next === null || typeof next !== 'object') break;
      parent = next;
    }
    const key = relativePath[index]!;
    if (isObject(parent) && typeof key === 'string') {
      let toMark = error;
      if (index < relativePath.length - 1) {
        const at = pathTo(execution.data, object);
        if (at) toMark = new GraphQLError(formatted.message, { ...(formatted.extensions ? { extensions: formatted.extensions } : {}), path: [...at, ...relativePath] });
      }
      markError(parent, key, toMark);
      placed = true;
    }
  }
  if (placed) return;
  // Reported as the gateway's own SUBGRAPH_ERROR at the first field the fetch was to fill, so it
  // reads as partial data (HTTP 200) rather than as a failed request.
  const first = objects[0];
  const at = first === undefined ? undefined : pathTo(execution.data, first);
  execution.errors.push(
    porticoError('SUBGRAPH_ERROR', {
      details: { source: node.subgraph },
      ...(at && node.errorKeys[0] !== undefined ? { path: [...at, node.errorKeys[0]] } : {}),
    }),
  );
}

/** Where `target` sits in the merged data (a depth-first search: only for errors nobody placed). */
function pathTo(root: unknown, target: object, path: (string | number)[] = []): (string | number)[] | undefined {
  if (root === target) return path;
  if (typeof root !== 'object' || root === null) return undefined;
  for (const [key, value] of Object.entries(root)) {
    const found = pathTo(value, target, [...path, Array.isArray(root) ? Number(key) : key]);
    if (found) return found;
  }
  return undefined;
}

function isObject(value: unknown): value is DataObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function causeOfMissing(object: DataObject, fields: readonly RepresentationField[]): GraphQLError | undefined {
  for (const field of fields) if (object[field.from] === undefined) return object[FIELD_ERRORS]?.[field.from];
  return undefined;
}
