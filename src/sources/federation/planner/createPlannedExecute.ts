import {
  GraphQLEnumType,
  GraphQLInterfaceType,
  GraphQLUnionType,
  execute,
  getNamedType,
  isAbstractType,
  getOperationAST,
  isEnumType,
  getVariableValues,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type FragmentDefinitionNode,
  type GraphQLFieldResolver,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { MapperKind, isAsyncIterable, mapAsyncIterator, mapSchema, type Executor } from '@graphql-tools/utils';
import { LRUCache } from 'lru-cache';
import { porticoError } from '../../../errors/index.js';
import { FIELD_ERRORS, executePlan, subscribeRootFetch, type ExecutePlanOptions } from './executePlan.js';
import { compileShaper, NOT_SHAPED, type ResponseShaper } from './compileShaper.js';
import {
  CLIENT_TYPENAME_ALIAS,
  typeScopedAlias,
  NotPlannable,
  PlanTooLarge,
  Unsatisfiable,
  documentShape,
  defaultPlanBudget,
  type PlanBudget,
} from './normalizeOperation.js';
import { planOperation, type QueryPlan } from './planOperation.js';
import { withOverrideLabels, type SupergraphModel } from './supergraphModel.js';

/** Runs an operation by plan, or by `fallback`; `subscribe` opens a subscription the same way. */
export type PlannedExecute = ((args: PlannedExecutionArgs, fallback: ExecuteFn) => unknown) & {
  subscribe: (args: PlannedExecutionArgs, fallback: ExecuteFn) => unknown;
};

/** Execution arguments as envelop passes them (a signal when the client can abort). */
export type PlannedExecutionArgs = ExecutionArgs & { signal?: AbortSignal };
/** The fallback (stitching); `reason` says why the planner handed the operation over. */
export type ExecuteFn = (args: PlannedExecutionArgs, reason?: string) => unknown;

export interface PlannedExecuteOptions {
  model: SupergraphModel;
  /** The schema clients query (the one validation used); its types shape the answer. */
  schema: GraphQLSchema;
  /** The executor of one subgraph, by composed name; the same ones stitching calls. */
  executorFor(subgraph: string): Executor;
  /** Told once per (document, operation, conditions) that falls back to stitching, and why. */
  onFallback?: (reason: string, operationName: string | undefined) => void;
  /** How many plans are kept, across all documents. */
  planCache?: Partial<PlanCacheLimits>;
  /** How much planning one operation may cost before it is refused (QUERY_PLAN_TOO_LARGE). */
  planBudget?: Partial<PlanBudget>;
  /** Whether a progressive `@override` label is on for this request. @default percentLabels() */
  overrideLabel?: (label: string) => boolean;
}

/**
 * Progressive override as Apollo's router does it without a coprocessor: `percent(N)` is on for
 * N % of requests, drawn per request; any other label is off.
 */
export function percentLabels(random: () => number = Math.random): (label: string) => boolean {
  return (label) => {
    const percent = /^percent\((\d+(?:\.\d+)?)\)$/.exec(label);
    return percent !== null && random() * 100 < Number(percent[1]);
  };
}

export interface PlanCacheLimits {
  /**
   * Plans kept, across every document and operation.
   * @default 2000: a BFF's clients send a few hundred operation shapes; the rest is churn.
   */
  maxEntries: number;
  /**
   * The estimated heap the kept plans may take (see `planBytes`).
   * @default 33554432 (32 MiB): the shop fixture's 8-fetch query plans to about 20 KiB, so the
   * default holds some 1 600 plans that size, and far more of the usual smaller ones.
   */
  maxBytes: number;
  /**
   * Plans one document may put in the cache (operations × @skip/@include combinations × override
   * labels drawn); beyond it, its plans are made per request and not kept.
   * @default 32: a document with many condition variables could otherwise crowd every other
   * document out, one request at a time.
   */
  maxPerDocument: number;
}

export const defaultPlanCacheLimits: Readonly<PlanCacheLimits> = Object.freeze({ maxEntries: 2000, maxBytes: 32 * 1024 * 1024, maxPerDocument: 32 });

/** How an operation runs: its plan, why stitching runs it instead, or why it is refused. */
type Decision = QueryPlan | { notPlannable: string } | { refused: PlanTooLarge } | { unsatisfiable: Unsatisfiable };

/** What is read once per document: small next to the document itself, so kept as long as it is. */
interface DocumentPlans {
  /** This document's part of the plan cache's keys. */
  id: number;
  fragments: Map<string, FragmentDefinitionNode>;
  conditions: string[];
  /** Decisions this document has put in the cache: it may not fill the cache alone. */
  cached: number;
}

/**
 * An `execute` for a supergraph-only schema that runs a plan cached per document instead of
 * stitching's per-request delegation: planning (which subgraph, which keys, which documents)
 * happens once per (document, operation, @skip/@include values), and each request only sends
 * the fetches and merges the answers.
 *
 * The client's answer is then built by graphql-js itself over the merged data (a resolver per
 * field that reads the response key), so aliases, `__typename`, null propagation, enum and
 * scalar serialisation and error paths are exactly graphql-js's. Whatever the planner does not
 * support (see planOperation) runs through `fallback`, stitching, unchanged.
 */
export function createPlannedExecute(options: PlannedExecuteOptions): PlannedExecute {
  const labels = [...options.model.overrideLabels].sort();
  const labelIsOn = options.overrideLabel ?? percentLabels();
  // One model per set of active labels: few labels, so few models.
  const models = new Map<string, SupergraphModel>();
  const dataSchema = withoutResolvers(options.schema, options.model.enumValues);
  const limits = { ...defaultPlanCacheLimits, ...options.planCache };
  const budget = { ...defaultPlanBudget, ...options.planBudget };
  const documents = new WeakMap<DocumentNode, DocumentPlans>();
  let nextDocumentId = 0;
  // Bounded in entries and in bytes: documents come and go with the server's document cache,
  // but one document's plans can be large, and a client can send many documents.
  const plans = new LRUCache<string, Decision>({
    max: limits.maxEntries,
    maxSize: limits.maxBytes,
    sizeCalculation: decisionBytes,
  });

  // One response shaper per plan (a plan is per document, operation and @skip/@include values);
  // null: graphql-js shapes this plan's answers.
  const shapers = new WeakMap<QueryPlan, ResponseShaper | null>();

  const documentPlans = (document: DocumentNode): DocumentPlans => {
    let forDocument = documents.get(document);
    if (!forDocument) {
      forDocument = { id: nextDocumentId++, ...documentShape(document), cached: 0 };
      documents.set(document, forDocument);
    }
    return forDocument;
  };

  const decide = (args: PlannedExecutionArgs, operation: OperationDefinitionNode, variables: Record<string, unknown>): Decision => {
    // Each request draws its labels; the set drawn is part of the plan's key.
    const active = labels.filter((label) => labelIsOn(label));
    const activeKey = active.join(',');
    let model = labels.length === 0 ? options.model : models.get(activeKey);
    if (!model) models.set(activeKey, (model = withOverrideLabels(options.model, new Set(active))));
    const forDocument = documentPlans(args.document);
    let key = `${forDocument.id}|${activeKey}|${operation.name?.value ?? ''}`;
    for (const name of forDocument.conditions) key += `|${variables[name] === true ? 1 : 0}`;
    let decision = plans.get(key);
    if (!decision) {
      try {
        decision = planOperation({ model, operation, fragments: forDocument.fragments, variables, budget });
      } catch (error) {
        if (error instanceof PlanTooLarge) {
          decision = { refused: error };
        } else if (error instanceof Unsatisfiable) {
          decision = { unsatisfiable: error };
        } else {
          // A planner bug must not cost the client its answer: stitching still knows how.
          const reason = error instanceof NotPlannable ? error.message : `planner error: ${(error as Error).message}`;
          decision = { notPlannable: reason };
          options.onFallback?.(reason, operation.name?.value);
        }
      }
      // Each combination of @skip/@include values is its own plan: a document with many
      // condition variables could otherwise crowd every other document out, one request at a time.
      if (forDocument.cached < limits.maxPerDocument) {
        forDocument.cached++;
        plans.set(key, decision);
      }
    }
    return decision;
  };

  /** The operation's plan and coerced variables, or the answer without one (stitching's, or a refusal). */
  const planFor = (args: PlannedExecutionArgs, fallback: ExecuteFn): { plan: QueryPlan; operation: OperationDefinitionNode; variables: Record<string, unknown> } | { answer: unknown } => {
    const operation = getOperationAST(args.document, args.operationName);
    if (!operation) return { answer: fallback(args, 'no operation') };
    // Invalid variables: graphql-js's own execution reports them, exactly as without a plan.
    const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {});
    if (coerced.errors) return { answer: fallback(args, 'invalid variables') };
    const decision = decide(args, operation, coerced.coerced);
    if ('notPlannable' in decision) return { answer: fallback(args, decision.notPlannable) };
    if ('refused' in decision) return { answer: refusedAnswer(decision.refused) };
    if ('unsatisfiable' in decision) return { answer: refusedAnswer(decision.unsatisfiable) };
    return { plan: decision, operation, variables: coerced.coerced };
  };

  const plannedExecute = (args: PlannedExecutionArgs, fallback: ExecuteFn) => {
    const planned = planFor(args, fallback);
    return 'answer' in planned ? planned.answer : runPlanned(planned.plan, args, planned.operation, planned.variables);
  };

  /**
   * A subscription by plan: the root fetch opens the subgraph's stream, and each event answers
   * it, so only the entity fetches below run per event (docs/query-planner.md, "Subscriptions").
   */
  const plannedSubscribe = async (args: PlannedExecutionArgs, fallback: ExecuteFn) => {
    const planned = planFor(args, fallback);
    if ('answer' in planned) return planned.answer;
    const { plan, operation, variables } = planned;
    const root = plan.steps[0]?.find((node) => node.kind === 'root');
    if (!root) return fallback(args, 'subscription without a root fetch');
    const events = await subscribeRootFetch(root, { executorFor: options.executorFor, variables, context: args.contextValue, signal: args.signal });
    if (!isAsyncIterable(events)) return events;
    // The i-th pull gets the i-th event's answer: order is the subgraph's.
    return mapAsyncIterator(events, (event: ExecutionResult) => runPlanned(plan, args, operation, variables, { node: root, result: event }));
  };

  return Object.assign(plannedExecute, { subscribe: plannedSubscribe });

  function shaperFor(plan: QueryPlan, args: PlannedExecutionArgs, operation: OperationDefinitionNode, variables: Record<string, unknown>): ResponseShaper | null {
    let shaper = shapers.get(plan);
    if (shaper === undefined) {
      const { fragments, conditions } = documentPlans(args.document);
      shaper = compileShaper({ schema: dataSchema, operation, fragments: Object.fromEntries(fragments), variables, conditions }) ?? null;
      shapers.set(plan, shaper);
    }
    return shaper;
  }

  async function runPlanned(
    plan: QueryPlan,
    args: PlannedExecutionArgs,
    operation: OperationDefinitionNode,
    variables: Record<string, unknown>,
    answered?: ExecutePlanOptions['answered'],
  ): Promise<ExecutionResult> {
    const run = await executePlan(plan, {
      executorFor: options.executorFor,
      variables,
      context: args.contextValue,
      signal: args.signal,
      ...(answered ? { answered } : {}),
    });
    // The client left while the plan ran, and its fetches were cut short with it: nobody reads
    // this answer. Shaping one over the cut fetches made an error, with its stack, for every
    // field left empty (a few thousand per second at a load test's end, when 50 clients hang up
    // at once), just when a gateway under load sees clients give up. The code is what a call
    // whose caller left is answered with (src/transport/withSharedCalls.ts).
    if (args.signal?.aborted) return { errors: [porticoError('SUBGRAPH_UNAVAILABLE')] };
    if (run.errors.length === 0 && answered === undefined) {
      // The error-free answer, built without graphql-js's per-field bookkeeping; any other goes
      // through graphql-js below, over the same data (compileShaper.ts).
      const shaper = shaperFor(plan, args, operation, variables);
      if (shaper !== null && shaper.accepts(variables)) {
        const data = shaper.shape(run.data);
        if (data !== NOT_SHAPED) return { data: data as Record<string, unknown> };
      }
    }
    const result = (await execute({
      schema: dataSchema,
      document: args.document,
      rootValue: run.data,
      contextValue: args.contextValue,
      variableValues: args.variableValues,
      operationName: args.operationName,
      fieldResolver: readPlannedField,
    })) as ExecutionResult;
    if (run.errors.length === 0) return result;
    return { ...result, errors: [...(result.errors ?? []), ...run.errors] };
  }
}

/**
 * The estimated heap of a cached decision, for the cache's byte bound: a plan weighs about 16
 * bytes of heap per character its fetch documents print to (15.7 measured: heap used before and
 * after keeping 2 000 plans of an 8-fetch shop query, 1 256 printed characters each); a fallback
 * or a refusal is little more than its reason.
 */
function decisionBytes(decision: Decision): number {
  return 512 + ('steps' in decision ? planBytes(decision) : 0);
}

/** The estimated heap of a plan's fetches, beyond its entry's own (see decisionBytes). */
export function planBytes(plan: QueryPlan): number {
  let bytes = 0;
  for (const step of plan.steps) for (const fetch of step) bytes += 16 * fetch.printedLength;
  return bytes;
}

/** A field's value is in the merged data under its response key, or its error is beside it. */
export const readPlannedField: GraphQLFieldResolver<Record<string | symbol, unknown>, unknown> = (source, _args, _context, info) => {
  // A client field aliased `__typename` was fetched under an internal alias (normalizeOperation).
  const key = info.path.key === '__typename' && info.fieldName !== '__typename' ? CLIENT_TYPENAME_ALIAS : (info.path.key as string);
  let value = source[key];
  // A field whose type in its subgraph differs from the supergraph's came under a per-type alias.
  if (value === undefined) value = source[typeScopedAlias(info.parentType.name, key)];
  if (value === undefined || value === null) {
    const error = (source[FIELD_ERRORS] as Record<string, Error> | undefined)?.[key];
    if (error) return error;
    return value;
  }
  const named = getNamedType(info.returnType);
  if (isAbstractType(named)) return nullWhere(value, isHiddenObject, info.schema);
  const hidden = isEnumType(named) ? (named.extensions[HIDDEN_ENUM_VALUES] as ReadonlySet<string> | undefined) : undefined;
  return hidden ? nullWhere(value, isHiddenValue, hidden) : value;
};

/** Where the data schema keeps an enum's `@inaccessible` values (withoutResolvers). */
const HIDDEN_ENUM_VALUES = 'porticoHiddenValues';

/**
 * `value` with each leaf (through nested lists) that `hidden` picks replaced by null, the same
 * array when it picks none: the client schema hides what a subgraph may still answer.
 */
function nullWhere<C>(value: unknown, hidden: (leaf: unknown, context: C) => boolean, context: C): unknown {
  if (!Array.isArray(value)) return hidden(value, context) ? null : value;
  let out: unknown[] | undefined;
  for (let i = 0; i < value.length; i++) {
    const item = nullWhere(value[i], hidden, context);
    if (item !== value[i]) (out ??= value.slice())[i] = item;
  }
  return out ?? value;
}

/**
 * An enum value the supergraph hides (`@inaccessible`): the client cannot see it, so the answer
 * holds null there, without an error (as stitching and the audit suites expect). A value no
 * subgraph declares is left alone: graphql-js reports it.
 */
function isHiddenValue(leaf: unknown, hidden: ReadonlySet<string>): boolean {
  return typeof leaf === 'string' && hidden.has(leaf);
}

/**
 * An object of a type the client schema does not have (`@inaccessible` there): null, as
 * stitching and Apollo's gateways answer it, rather than graphql-js's error naming the type.
 */
function isHiddenObject(leaf: unknown, schema: GraphQLSchema): boolean {
  const name = typeof leaf === 'object' && leaf !== null ? (leaf as Record<string, unknown>).__typename : undefined;
  return typeof name === 'string' && !schema.getType(name);
}

/**
 * An object's type is its merged `__typename`. An @interfaceObject's objects get theirs from a
 * later fetch; when that fetch failed, its error (SUBGRAPH_UNAVAILABLE, …) is what the client
 * sees at the object, not graphql-js's complaint about an unresolvable abstract type.
 */
function resolvePlannedType(value: unknown): string | undefined {
  const object = value as Record<string | symbol, unknown>;
  if (typeof object.__typename === 'string') return object.__typename;
  const error = (object[FIELD_ERRORS] as Record<string, Error> | undefined)?.__typename;
  if (error) throw error;
  return undefined;
}

/**
 * The client schema with every resolver removed, so graphql-js reads the merged data through
 * `readPlannedField` and resolves abstract types from `__typename` (which plans always fetch).
 */
function withoutResolvers(schema: GraphQLSchema, enumValues: SupergraphModel['enumValues']): GraphQLSchema {
  return mapSchema(schema, {
    [MapperKind.ENUM_TYPE]: (type) => {
      const visible = new Set(type.getValues().map((value) => value.name));
      const hidden = [...(enumValues?.get(type.name) ?? [])].filter((value) => !visible.has(value));
      if (hidden.length === 0) return type;
      return new GraphQLEnumType({ ...type.toConfig(), extensions: { ...type.extensions, [HIDDEN_ENUM_VALUES]: new Set(hidden) } });
    },
    [MapperKind.COMPOSITE_FIELD]: (config) => ({ ...config, resolve: undefined, subscribe: undefined }),
    [MapperKind.INTERFACE_TYPE]: (type) => new GraphQLInterfaceType({ ...type.toConfig(), resolveType: resolvePlannedType }),
    [MapperKind.UNION_TYPE]: (type) => new GraphQLUnionType({ ...type.toConfig(), resolveType: resolvePlannedType }),
  });
}

/**
 * The answer to an operation refused before any subgraph call: over the planning budget
 * (QUERY_PLAN_TOO_LARGE), or selecting a field no subgraph can give where it is selected
 * (QUERY_PLAN_UNSATISFIABLE, `data: null`: the whole operation, as Apollo's and Hive's planners
 * refuse it). The federation planner and the BFF planner answer alike.
 */
export function refusedAnswer(error: PlanTooLarge | Unsatisfiable): ExecutionResult {
  if (error instanceof PlanTooLarge) return { errors: [porticoError('QUERY_PLAN_TOO_LARGE', { details: { plan: { limit: error.limit, max: error.max } } })] };
  return { data: null, errors: [porticoError('QUERY_PLAN_UNSATISFIABLE', { details: { plan: { field: error.coordinate } } })] };
}
