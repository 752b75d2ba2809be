import {
  GraphQLError,
  GraphQLInterfaceType,
  GraphQLUnionType,
  Kind,
  OperationTypeNode,
  defaultFieldResolver,
  execute,
  getNamedType,
  getOperationAST,
  getVariableValues,
  isInterfaceType,
  isObjectType,
  parse,
  parseType,
  responsePathAsArray,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLField,
  type GraphQLFieldResolver,
  type GraphQLNamedType,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
  type VariableDefinitionNode,
} from 'graphql';
import { MapperKind, isAsyncIterable, mapAsyncIterator, mapSchema, type Executor, type IResolvers } from '@graphql-tools/utils';
import { LRUCache } from 'lru-cache';
import { FIELD_ERRORS, executePlan, subscribeRootFetch, type PlanExecution } from '../sources/federation/planner/executePlan.js';
import { NotPlannable, PlanTooLarge, Unsatisfiable, defaultPlanBudget, documentShape, type PlanBudget } from '../sources/federation/planner/normalizeOperation.js';
import { planOperation, type QueryPlan } from '../sources/federation/planner/planOperation.js';
import { withOverrideLabels, type SupergraphModel } from '../sources/federation/planner/supergraphModel.js';
import {
  defaultPlanCacheLimits,
  percentLabels,
  planBytes,
  refusedAnswer,
  type PlanCacheLimits,
  type PlannedExecutionArgs,
} from '../sources/federation/planner/createPlannedExecute.js';
import { checkPlanBudget } from './checkPlanBudget.js';
import type { QueryPlanner } from '../sources/federation/planner/queryPlanner.js';
import type { ResolverKit } from './resolverKit.js';

export interface BffPlannerOptions {
  /** The BFF's sources as one supergraph model, renames applied (buildBffModel). */
  model: SupergraphModel;
  /** The schema clients query (stitched, renamed, hidden): its types shape the answer. */
  schema: GraphQLSchema;
  /** A graph's executor by its name in the model (a plain source, or `source/subgraph`). */
  executorFor(graph: string): Executor;
  /** The BFF's resolvers, built with the kit whose `delegate` calls are planned too. */
  resolvers?: (kit: ResolverKit) => IResolvers | undefined;
  /** The root field a `delegate(source, field)` call targets, in that source's own schema. */
  delegateTarget(source: string, fieldName: string, operation: 'query' | 'mutation'): GraphQLField<unknown, unknown> | undefined;
  /** Told once per operation shape (and per resolver delegation shape) that falls back, and why. */
  onFallback?: (reason: string, operationName: string | undefined) => void;
  /**
   * Whether a progressive `@override` label is on for this request, as under `portico serve`.
   * @default percentLabels(): `percent(N)` is on for N % of requests, at random
   */
  overrideLabel?: (label: string) => boolean;
  /**
   * Bounds of the decision cache: how each (document, operation, @skip/@include values, labels)
   * runs, and each resolver delegation's sub-plan, in one LRU across all documents.
   * @default defaultPlanCacheLimits (2 000 entries, 32 MiB, 32 per document; docs/query-planner.md)
   */
  planCache?: Partial<PlanCacheLimits>;
  /**
   * What one operation may cost to plan, resolver subtrees included, before it is refused with
   * QUERY_PLAN_TOO_LARGE. @default defaultPlanBudget (20 000 fields, 200 levels)
   */
  planBudget?: Partial<PlanBudget>;
}

/** The reason a part of an operation runs by stitching, passed to the fallback (the metrics read it). */
export type FallbackExecute = (args: PlannedExecutionArgs, reason?: string) => unknown;

interface ResolverField {
  resolve: GraphQLFieldResolver<unknown, unknown> | undefined;
  /** Stitching's `selectionSet`: fields of the parent the resolver reads, planned with the parent. */
  selectionSet?: SelectionSetNode;
}

/** How one (document, operation, @skip/@include values) runs. */
interface Decision {
  /** The source-owned part's plan (none when every root field is a BFF resolver or falls back). */
  plan?: QueryPlan;
  /** What graphql-js shapes: the client's operation without the root fields stitching answers. */
  shape?: DocumentNode;
  /** The root fields stitching answers, with why. */
  fallback?: { document: DocumentNode; keys: readonly string[]; reason: string };
  rootKeys: readonly string[];
  /** Over the planning budget: refused with QUERY_PLAN_TOO_LARGE, nothing called. */
  refused?: PlanTooLarge;
  /** A federation source's field no subgraph can give where it is selected: refused with QUERY_PLAN_UNSATISFIABLE, nothing called. */
  unsatisfiable?: Unsatisfiable;
  /** The decision's key in the cache, to re-weigh it when `rootFieldsOnly` adds a document. */
  key: string;
  /** The shape's root fields that run by stitching because their resolver's delegation falls back, by field set. */
  stitchedRoots?: Map<string, DocumentNode>;
}

/** How a resolver's `delegate` call runs: its sub-plan, or why its root field falls back. */
type SubPlan = { plan: QueryPlan; variables: readonly VariableDefinitionNode[] } | { notPlannable: string };

/** What is read once per document (or per resolver field node): kept as long as the node lives. */
interface CacheScope {
  /** This node's part of the cache's keys. */
  id: number;
  /** Entries it has put in the cache: one document may not fill the cache alone. */
  cached: number;
}

const PLAN = Symbol('portico.plan');
const STATE = Symbol('portico.planState');

interface ExecutionState {
  errors: GraphQLError[];
  signal: AbortSignal | undefined;
  /** The model for this request's progressive override labels; its resolvers' delegations plan with it too. */
  labels: ActiveLabels;
}

/** The progressive `@override` labels drawn for one request, and the model they make. */
interface ActiveLabels {
  key: string;
  model: SupergraphModel;
}
type RootValue = { [PLAN]: Promise<PlanExecution>; [STATE]: ExecutionState };

/** Thrown by a planned `delegate` whose selection the planner cannot plan: its root field then falls back. */
class DelegateFallback extends Error {}

/**
 * The query planner of a BFF that mixes sources and resolvers: one plan over every source
 * (federation subgraphs, GraphQL sources, REST endpoints as virtual subgraphs, renames applied
 * at plan time), BFF resolvers run as a step of the answer whose own `delegate` calls are
 * planned, and what cannot be planned falls back to stitching per root field, never more.
 *
 * How it runs: the client's operation without its resolver fields (plus the fields their
 * `selectionSet` reads) is planned and executed; meanwhile graphql-js shapes the answer over the
 * client schema, reading planned fields by response key and running BFF resolvers where they own
 * a field. Aliases, null propagation, serialisation and error paths are graphql-js's own.
 */
export function createBffPlanner(options: BffPlannerOptions): QueryPlanner {
  const { model, schema } = options;
  const labels = [...model.overrideLabels].sort();
  const labelIsOn = options.overrideLabel ?? percentLabels();
  // One model per set of active labels (few labels, so few models), as createPlannedExecute keeps them.
  const models = new Map<string, SupergraphModel>();
  const drawLabels = (): ActiveLabels => {
    if (labels.length === 0) return { key: '', model };
    const active = labels.filter((label) => labelIsOn(label));
    const key = active.join(',');
    let forLabels = models.get(key);
    if (!forLabels) models.set(key, (forLabels = withOverrideLabels(model, new Set(active))));
    return { key, model: forLabels };
  };
  const resolverFields = new Map<string, ResolverField>();
  const limits = { ...defaultPlanCacheLimits, ...options.planCache };
  const budget = { ...defaultPlanBudget, ...options.planBudget };
  const documents = new WeakMap<DocumentNode, CacheScope & { fragments: Map<string, FragmentDefinitionNode>; conditions: string[] }>();
  const fieldNodes = new WeakMap<FieldNode, CacheScope>();
  let nextScopeId = 0;
  // One LRU, bounded in entries and estimated bytes, for decisions and delegation sub-plans alike:
  // documents come and go with the server's document cache, but a client can send many, and one
  // document's plans can be large (as the federation planner's plan cache, createPlannedExecute).
  const cache = new LRUCache<string, Decision | SubPlan>({
    max: limits.maxEntries,
    maxSize: limits.maxBytes,
    sizeCalculation: cachedBytes,
  });

  const planSource = (
    active: ActiveLabels,
    operation: OperationDefinitionNode,
    fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    variables: Record<string, unknown>,
  ): QueryPlan | undefined => {
    const source = sourcePart(operation, fragments);
    if (source.operation.selectionSet.selections.length === 0) return undefined;
    return planOperation({ model: active.model, operation: source.operation, fragments: source.fragments, variables, budget });
  };

  /** The operation and fragments with BFF resolver fields cut out and their `selectionSet`s put in. */
  const sourcePart = (operation: OperationDefinitionNode, fragments: ReadonlyMap<string, FragmentDefinitionNode>) => {
    const root =
      operation.operation === OperationTypeNode.MUTATION
        ? schema.getMutationType()
        : operation.operation === OperationTypeNode.SUBSCRIPTION
          ? schema.getSubscriptionType()
          : schema.getQueryType();
    if (!root) throw new NotPlannable(`no ${operation.operation} type`);
    const out = new Map<string, FragmentDefinitionNode>();
    for (const [name, fragment] of fragments) {
      const type = schema.getType(fragment.typeCondition.name.value);
      if (!type) throw new NotPlannable(`unknown type ${fragment.typeCondition.name.value}`);
      out.set(name, { ...fragment, selectionSet: strip(fragment.selectionSet, type, false) });
    }
    return { operation: { ...operation, selectionSet: strip(operation.selectionSet, root, true) }, fragments: out };
  };

  const strip = (selectionSet: SelectionSetNode, parent: GraphQLNamedType, isRoot: boolean): SelectionSetNode => {
    const fields = isObjectType(parent) || isInterfaceType(parent) ? parent.getFields() : {};
    const kept: SelectionNode[] = [];
    const added: FieldNode[] = [];
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        kept.push(selection);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (!type) throw new NotPlannable(`unknown type ${selection.typeCondition?.name.value}`);
        kept.push({ ...selection, selectionSet: strip(selection.selectionSet, type, false) });
      } else {
        const owned = resolverFields.get(`${parent.name}.${selection.name.value}`);
        if (owned) {
          for (const needed of owned.selectionSet?.selections ?? []) {
            if (needed.kind !== Kind.FIELD) throw new NotPlannable(`${parent.name}.${selection.name.value}: a resolver selectionSet with fragments`);
            added.push(needed);
          }
          continue;
        }
        const field = fields[selection.name.value];
        kept.push(field && selection.selectionSet ? { ...selection, selectionSet: strip(selection.selectionSet, getNamedType(field.type), false) } : selection);
      }
    }
    for (const needed of added) {
      const key = needed.alias?.value ?? needed.name.value;
      const clash = kept.find((s) => s.kind === Kind.FIELD && (s.alias?.value ?? s.name.value) === key && s.name.value !== needed.name.value);
      // The resolver reads the parent by field name; a client alias with that name would feed it another field.
      if (clash) throw new NotPlannable(`client alias ${key} on ${parent.name} clashes with a resolver's selectionSet`);
      const field = fields[needed.name.value];
      kept.push(field && needed.selectionSet ? { ...needed, selectionSet: strip(needed.selectionSet, getNamedType(field.type), false) } : needed);
    }
    // A selection left empty (only resolver fields below a source field) still needs a field.
    if (kept.length === 0 && !isRoot) kept.push({ kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } });
    return { ...selectionSet, selections: kept };
  };

  /** Puts an entry in the cache unless its document (or field node) has put its share already. */
  const keep = (scope: CacheScope, key: string, entry: Decision | SubPlan) => {
    if (scope.cached >= limits.maxPerDocument) return;
    scope.cached++;
    cache.set(key, entry);
  };

  const decide = (args: PlannedExecutionArgs, operation: OperationDefinitionNode, variables: Record<string, unknown>, active: ActiveLabels): Decision => {
    let forDocument = documents.get(args.document);
    if (!forDocument) {
      forDocument = { id: nextScopeId++, cached: 0, ...documentShape(args.document) };
      documents.set(args.document, forDocument);
    }
    // Each request draws its override labels; the set drawn is part of the decision's key.
    let key = `d${forDocument.id}|${active.key}|${operation.name?.value ?? ''}`;
    for (const name of forDocument.conditions) key += `|${variables[name] === true ? 1 : 0}`;
    let decision = cache.get(key) as Decision | undefined;
    if (!decision) {
      decision = makeDecision(key, active, args.document, operation, forDocument.fragments, variables);
      if (decision.fallback) options.onFallback?.(decision.fallback.reason, operation.name?.value);
      keep(forDocument, key, decision);
    }
    return decision;
  };

  const makeDecision = (
    key: string,
    active: ActiveLabels,
    document: DocumentNode,
    operation: OperationDefinitionNode,
    fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    variables: Record<string, unknown>,
  ): Decision => {
    const rootKeys = operation.selectionSet.selections.map((s) => (s.kind === Kind.FIELD ? (s.alias?.value ?? s.name.value) : ''));
    const whole = (reason: string): Decision => ({ key, rootKeys, fallback: { document, keys: rootKeys, reason } });
    try {
      // The whole operation, resolver subtrees included: those are planned only when their
      // resolver runs, after the source part's fetches are sent.
      checkPlanBudget(operation, fragments, variables, budget);
      return { key, rootKeys, plan: planSource(active, operation, fragments, variables), shape: document } as Decision;
    } catch (error) {
      // Not a fallback: stitching would pay the same expansion on every request.
      if (error instanceof PlanTooLarge) return { key, rootKeys, refused: error };
      if (refusesWhole(active.model, error)) return { key, rootKeys, unsatisfiable: error };
      const reason = reasonOf(error);
      // Mutation fields run in order, and root fragments hide which field failed: all or nothing.
      if (operation.operation !== OperationTypeNode.QUERY || rootKeys.includes('')) return whole(reason);
      const planned: SelectionNode[] = [];
      const fallen: SelectionNode[] = [];
      let firstReason: string | undefined;
      for (const selection of operation.selectionSet.selections) {
        try {
          planSource(active, { ...operation, selectionSet: { kind: Kind.SELECTION_SET, selections: [selection] } }, fragments, variables);
          planned.push(selection);
        } catch (alone) {
          // One root field no federation subgraph can answer refuses the operation, as under `portico serve`.
          if (refusesWhole(active.model, alone)) return { key, rootKeys, unsatisfiable: alone };
          firstReason ??= reasonOf(alone);
          fallen.push(selection);
        }
      }
      if (planned.length === 0) return whole(firstReason ?? reason);
      const withRoot = (selections: SelectionNode[]): DocumentNode => ({
        ...document,
        definitions: document.definitions.map((d) => (d === operation ? { ...operation, selectionSet: { kind: Kind.SELECTION_SET, selections } } : d)),
      });
      try {
        const plan = planSource(active, { ...operation, selectionSet: { kind: Kind.SELECTION_SET, selections: planned } }, fragments, variables);
        return {
          key,
          rootKeys,
          ...(plan ? { plan } : {}),
          shape: withRoot(planned),
          fallback: { document: withRoot(fallen), keys: fallen.map((s) => ((s as FieldNode).alias?.value ?? (s as FieldNode).name.value)), reason: firstReason ?? reason },
        };
      } catch (together) {
        return whole(reasonOf(together));
      }
    }
  };

  const kit: ResolverKit = {
    async delegate(source, fieldName, args, context, info, operation = 'query') {
      const target = options.delegateTarget(source, fieldName, operation);
      if (!target) throw new Error(`resolver delegates to ${source}.${fieldName}, which this BFF's sources lack`);
      const state = (info.rootValue as RootValue)[STATE];
      const sub = subPlanFor(state.labels, info, fieldName, target, Object.keys(args), operation);
      if ('notPlannable' in sub) throw new DelegateFallback(sub.notPlannable);
      const variables: Record<string, unknown> = { ...info.variableValues };
      for (const [name, value] of Object.entries(args)) variables[`__pq_arg_${name}`] = value;
      const run = await executePlan(sub.plan, { executorFor: options.executorFor, variables, context, signal: state.signal });
      const at = responsePathAsArray(info.path);
      relocate(run.data, at);
      for (const error of run.errors) state.errors.push(moved(error, at));
      const value = run.data[fieldName];
      const error = run.data[FIELD_ERRORS]?.[fieldName];
      if ((value === undefined || value === null) && error) throw moved(error, undefined);
      return value;
    },
  };

  const subPlanFor = (active: ActiveLabels, info: GraphQLResolveInfo, fieldName: string, target: GraphQLField<unknown, unknown>, argNames: string[], operation: string): SubPlan => {
    let forField = fieldNodes.get(info.fieldNodes[0]!);
    if (!forField) fieldNodes.set(info.fieldNodes[0]!, (forField = { id: nextScopeId++, cached: 0 }));
    // @skip/@include values and override labels shape the sub-plan as they shape a plan: each combination is its own.
    let cacheKey = `s${forField.id}|${active.key}|${operation}|${fieldName}|${argNames.join(',')}`;
    for (const [name, value] of Object.entries(info.variableValues)) if (typeof value === 'boolean') cacheKey += `|${name}=${value}`;
    let sub = cache.get(cacheKey) as SubPlan | undefined;
    if (!sub) {
      try {
        const argDefinitions = argNames.map((name): VariableDefinitionNode => {
          const arg = target.args.find((candidate) => candidate.name === name);
          if (!arg) throw new NotPlannable(`delegate to ${fieldName} with unknown argument ${name}`);
          return {
            kind: Kind.VARIABLE_DEFINITION,
            variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: `__pq_arg_${name}` } },
            type: parseType(String(arg.type), { noLocation: true }),
          };
        });
        const selections = info.fieldNodes.flatMap((node) => node.selectionSet?.selections ?? []);
        const subOperation: OperationDefinitionNode = {
          kind: Kind.OPERATION_DEFINITION,
          operation: operation === 'mutation' ? OperationTypeNode.MUTATION : OperationTypeNode.QUERY,
          variableDefinitions: [...(info.operation.variableDefinitions ?? []), ...argDefinitions],
          selectionSet: {
            kind: Kind.SELECTION_SET,
            selections: [
              {
                kind: Kind.FIELD,
                name: { kind: Kind.NAME, value: fieldName },
                arguments: argNames.map((name) => ({
                  kind: Kind.ARGUMENT,
                  name: { kind: Kind.NAME, value: name },
                  value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: `__pq_arg_${name}` } },
                })),
                ...(selections.length > 0 ? { selectionSet: { kind: Kind.SELECTION_SET, selections } } : {}),
              },
            ],
          },
        };
        const plan = planSource(active, subOperation, new Map(Object.entries(info.fragments)), info.variableValues);
        sub = plan ? { plan, variables: subOperation.variableDefinitions ?? [] } : { notPlannable: 'empty delegation' };
      } catch (error) {
        sub = { notPlannable: `resolver delegation: ${reasonOf(error)}` };
        options.onFallback?.(sub.notPlannable, info.operation.name?.value);
      }
      keep(forField, cacheKey, sub);
    }
    return sub;
  };

  // Resolver fields are known before the first plan: the kit is only called while executing.
  const resolvers = options.resolvers?.(kit) ?? {};
  for (const [typeName, fields] of Object.entries(resolvers)) {
    if (typeof fields !== 'object' || fields === null || !isObjectType(schema.getType(typeName))) continue;
    for (const [fieldName, resolver] of Object.entries(fields as Record<string, unknown>)) {
      if (typeof resolver === 'function') {
        resolverFields.set(`${typeName}.${fieldName}`, { resolve: resolver as GraphQLFieldResolver<unknown, unknown> });
      } else if (typeof resolver === 'object' && resolver !== null) {
        const { resolve, selectionSet } = resolver as { resolve?: GraphQLFieldResolver<unknown, unknown>; selectionSet?: string };
        resolverFields.set(`${typeName}.${fieldName}`, {
          resolve,
          ...(selectionSet ? { selectionSet: parseSelectionSet(selectionSet) } : {}),
        });
      }
    }
  }

  const shapeSchema = mapSchema(schema, {
    [MapperKind.COMPOSITE_FIELD]: (config, fieldName, typeName) => {
      const owned = resolverFields.get(`${typeName}.${fieldName}`);
      if (owned) return { ...config, resolve: owned.resolve ?? defaultFieldResolver, subscribe: undefined };
      // A type only the BFF defines is built by its resolvers, keyed by field name.
      if (!model.types.has(typeName)) return { ...config, resolve: defaultFieldResolver, subscribe: undefined };
      return { ...config, resolve: undefined, subscribe: undefined };
    },
    [MapperKind.INTERFACE_TYPE]: (type) => new GraphQLInterfaceType({ ...type.toConfig(), resolveType: undefined }),
    [MapperKind.UNION_TYPE]: (type) => new GraphQLUnionType({ ...type.toConfig(), resolveType: undefined }),
  });

  const rootFieldsOnly = (decision: Decision, document: DocumentNode, operation: OperationDefinitionNode, keys: ReadonlySet<string>): DocumentNode => {
    const id = [...keys].sort().join(',');
    let found = decision.stitchedRoots?.get(id);
    if (!found) {
      const selections = operation.selectionSet.selections.filter((s) => s.kind === Kind.FIELD && keys.has(s.alias?.value ?? s.name.value));
      found = { ...document, definitions: document.definitions.map((d) => (d === operation ? { ...operation, selectionSet: { kind: Kind.SELECTION_SET, selections } } : d)) };
      // Kept with its decision (and evicted with it); as many as the decisions of one document.
      decision.stitchedRoots ??= new Map();
      if (decision.stitchedRoots.size < limits.maxPerDocument) {
        decision.stitchedRoots.set(id, found);
        // Weighed again with the document it now holds, if it is still cached.
        if (cache.peek(decision.key) === decision) cache.set(decision.key, decision);
      }
    }
    return found;
  };

  /** The client's answer over a plan's merged data: graphql-js shapes it, BFF resolvers run where they own a field. */
  const shape = async (decision: Decision, args: PlannedExecutionArgs, planned: Promise<PlanExecution>, labelsDrawn: ActiveLabels) => {
    const state: ExecutionState = { errors: [], signal: args.signal, labels: labelsDrawn };
    const rootValue: RootValue = { [PLAN]: planned, [STATE]: state };
    const shaped = (await execute({
      schema: shapeSchema,
      document: decision.shape!,
      rootValue,
      contextValue: args.contextValue,
      variableValues: args.variableValues,
      operationName: args.operationName,
      fieldResolver: readPlanned,
    })) as ExecutionResult;
    const run = await planned;
    return { shaped, errors: [...(shaped.errors ?? []), ...run.errors, ...state.errors] };
  };

  /** How this request runs (its labels drawn, its variables coerced), or the answer without a plan (stitching's, or a refusal). */
  const decisionFor = (args: PlannedExecutionArgs, fallback: FallbackExecute) => {
    const operation = getOperationAST(args.document, args.operationName);
    if (!operation) return { answer: fallback(args, 'no operation') };
    const coerced = getVariableValues(args.schema, operation.variableDefinitions ?? [], args.variableValues ?? {});
    if (coerced.errors) return { answer: fallback(args, 'invalid variables') };
    const labelsDrawn = drawLabels();
    const decision = decide(args, operation, coerced.coerced, labelsDrawn);
    if (decision.refused) return { answer: refusedAnswer(decision.refused) };
    if (decision.unsatisfiable) return { answer: refusedAnswer(decision.unsatisfiable) };
    if (!decision.shape) return { answer: fallback(args, decision.fallback!.reason) };
    return { decision: decision as Decision & { shape: DocumentNode }, labelsDrawn, coerced };
  };

  const execution = async (args: PlannedExecutionArgs, fallbackFn: unknown) => {
    const fallback = fallbackFn as FallbackExecute;
    const decided = decisionFor(args, fallback);
    if ('answer' in decided) return decided.answer;
    const { decision, labelsDrawn, coerced } = decided;

    const stitched = decision.fallback ? Promise.resolve(fallback({ ...args, document: decision.fallback.document }, decision.fallback.reason)) : undefined;
    const planned = decision.plan
      ? executePlan(decision.plan, { executorFor: options.executorFor, variables: coerced.coerced, context: args.contextValue, signal: args.signal })
      : Promise.resolve<PlanExecution>({ data: {}, errors: [] });
    const answer = await shape(decision, args, planned, labelsDrawn);
    const { shaped } = answer;
    let errors = answer.errors;

    // A resolver whose delegation cannot be planned: its root field (only) runs by stitching.
    const delegated = new Set<string>();
    let delegateReason = '';
    for (const error of shaped.errors ?? []) {
      if (error.originalError instanceof DelegateFallback && typeof error.path?.[0] === 'string') {
        delegated.add(error.path[0]);
        delegateReason = error.originalError.message;
      }
    }
    const parts: { result: ExecutionResult; keys: ReadonlySet<string> }[] = [];
    if (stitched) parts.push({ result: (await stitched) as ExecutionResult, keys: new Set(decision.fallback!.keys) });
    if (delegated.size > 0) {
      if (shaped.data === null || shaped.data === undefined) return fallback(args, delegateReason);
      errors = errors.filter((error) => !delegated.has(error.path?.[0] as string));
      const document = rootFieldsOnly(decision, decision.shape, getOperationAST(decision.shape, args.operationName)!, delegated);
      parts.push({ result: (await fallback({ ...args, document }, delegateReason)) as ExecutionResult, keys: delegated });
    }
    if (parts.length === 0) return errors.length > 0 ? { ...shaped, errors } : shaped;

    let data: Record<string, unknown> | null = shaped.data ?? null;
    for (const part of parts) {
      errors.push(...(part.result.errors ?? []));
      if (!part.result.data || !data) {
        data = null;
        continue;
      }
      const merged: Record<string, unknown> = {};
      for (const key of decision.rootKeys) {
        if (part.keys.has(key)) merged[key] = (part.result.data as Record<string, unknown>)[key];
        else if (key in data) merged[key] = data[key];
      }
      data = merged;
    }
    return { data, ...(errors.length > 0 ? { errors } : {}) };
  };

  /**
   * A subscription by plan: its root field's fetch opens the source's stream (an upstream
   * subscription, or a Redis event source), and each event answers that fetch, so only the rest
   * of the plan runs per event (entity and merge lookups, REST DataLoader batches), one event
   * after the other: events leave in the order they came. What the planner cannot plan (a root
   * field a BFF resolver owns, a selection it leaves to stitching) is stitching's, whole.
   */
  const subscription = async (args: PlannedExecutionArgs, fallbackFn: unknown) => {
    const fallback = fallbackFn as FallbackExecute;
    const decided = decisionFor(args, fallback);
    if ('answer' in decided) return decided.answer;
    const { decision, labelsDrawn, coerced } = decided;
    const root = decision.plan?.steps[0]?.find((node) => node.kind === 'root');
    if (!decision.plan || !root) return fallback(args, 'subscription: its root field is a BFF resolver');
    const { plan } = decision;
    const run = { executorFor: options.executorFor, variables: coerced.coerced, context: args.contextValue, signal: args.signal };
    const events = await subscribeRootFetch(root, run);
    if (!isAsyncIterable(events)) return events;
    // The i-th pull gets the i-th event's answer, whenever its lookups finish: order is the source's.
    return mapAsyncIterator(events, async (event: ExecutionResult) => {
      const planned = executePlan(plan, { ...run, answered: { node: root, result: event } });
      const { shaped, errors } = await shape(decision, args, planned, labelsDrawn);
      return errors.length > 0 ? { ...shaped, errors } : shaped;
    });
  };

  return Object.assign(execution, { subscribe: subscription });
}

/**
 * The estimated heap of a cached decision or sub-plan, for the cache's byte bound: its plan's
 * fetches as the federation planner weighs them (planBytes), 512 bytes for the entry itself, and
 * 256 per document it made (a new operation node over the client's own field nodes).
 */
function cachedBytes(entry: Decision | SubPlan): number {
  let bytes = 512;
  if ('plan' in entry && entry.plan) bytes += planBytes(entry.plan);
  if ('rootKeys' in entry) {
    if (entry.fallback && entry.fallback.keys !== entry.rootKeys) bytes += 512;
    bytes += 256 * (entry.stitchedRoots?.size ?? 0);
  }
  return bytes;
}

function parseSelectionSet(selectionSet: string): SelectionSetNode {
  return (parse(selectionSet.trim().startsWith('{') ? selectionSet : `{ ${selectionSet} }`, { noLocation: true }).definitions[0] as OperationDefinitionNode).selectionSet;
}

/**
 * Whether a planning error refuses the whole operation: a field no subgraph can give where it is
 * selected, when only federation subgraphs resolve it. Stitching could only answer it with the
 * other subgraph's placeholder for an `@external` key (docs/query-planner.md). A field of a plain
 * source (merged through its lookups) still falls back, as does a resolver's delegation: the
 * resolver owns that field, and only its subtree is handed to stitching.
 */
function refusesWhole(model: SupergraphModel, error: unknown): error is Unsatisfiable {
  if (!(error instanceof Unsatisfiable)) return false;
  const [typeName = '', fieldName = ''] = error.coordinate.split('.');
  const graphs = model.types.get(typeName)?.fields.get(fieldName)?.resolvableIn;
  return graphs !== undefined && graphs.size > 0 && [...graphs].every((graph) => !graph.startsWith('source:'));
}

function reasonOf(error: unknown): string {
  return error instanceof NotPlannable ? error.message : `planner error: ${(error as Error).message}`;
}

/** A planned field's value by response key, its error beside it; the root waits for the plan. */
const readPlanned: GraphQLFieldResolver<Record<string | symbol, unknown>, unknown> = (source, _args, _context, info) => {
  const pending = source[PLAN] as Promise<PlanExecution> | undefined;
  if (pending) return pending.then((run) => readKey(run.data, info));
  return readKey(source, info);
};

function readKey(source: Record<string | symbol, unknown>, info: GraphQLResolveInfo): unknown {
  const key = info.path.key as string;
  const value = source[key];
  if (value === undefined || value === null) {
    const error = (source[FIELD_ERRORS] as Record<string, Error> | undefined)?.[key];
    if (error) return error;
  }
  return value;
}

/** An error of a delegated sub-plan, its path moved under the resolver's field (or dropped, for graphql-js to locate). */
function moved(error: GraphQLError, at: readonly (string | number)[] | undefined): GraphQLError {
  return new GraphQLError(error.message, {
    ...(error.extensions ? { extensions: error.extensions } : {}),
    ...(at && error.path ? { path: [...at, ...error.path.slice(1)] } : {}),
  });
}

/** Moves the paths of every error waiting in a delegated sub-plan's data under the resolver's field. */
function relocate(value: unknown, at: readonly (string | number)[]): void {
  if (Array.isArray(value)) {
    for (const item of value) relocate(item, at);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const errors = (value as Record<symbol, Record<string, GraphQLError> | undefined>)[FIELD_ERRORS];
  if (errors) for (const [key, error] of Object.entries(errors)) if (error.path) errors[key] = moved(error, at);
  for (const key of Object.keys(value)) relocate((value as Record<string, unknown>)[key], at);
}
