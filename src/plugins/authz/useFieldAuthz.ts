import { getOperationAST, type DocumentNode, type ExecutionArgs, type ExecutionResult, type FieldNode, type GraphQLError, type GraphQLSchema } from 'graphql';
import { ANONYMOUS, type Principal } from '../../context/principal.js';
import type { OnExecuteHookResult } from '@envelop/core';
import type { PorticoContext, PorticoPlugin } from '../../context/requestScope.js';
import { porticoError } from '../../errors/index.js';
import { compileFieldRules } from './compileFieldRules.js';
import { AUTHENTICATED, PUBLIC, checkRule, type Denial, type FieldRule } from './fieldRule.js';
import { deniedPathsOf, guardedFieldsOf, type GuardedField } from './guardedFields.js';
import { certainlyNulledFields, placeDeniedNulls, pruneDocument } from './nullDeniedFields.js';
import { createOwnerFiller } from './fillOwnerArguments.js';
import { ownerDenial, ownerGuardsOf, type OwnerAnalysis, type OwnerDenial } from './ownerGuards.js';
import { NO_BYPASS, NO_OWNER_POLICY, type OwnerBypass, type OwnerPolicy } from './ownerRule.js';
import { policyDenials, type PolicyFunctions, type PolicyMemo } from './evaluatePolicies.js';

export interface FieldAuthzOptions {
  /** The rules the SDLs declare, by "Type.field" (collectFieldPolicy). */
  declared: ReadonlyMap<string, FieldRule>;
  /**
   * The `@owner` rules the SDLs declare (collectOwnerPolicy).
   * @default none: without owner rules, any caller a field's own rule admits reads every object.
   */
  owners?: OwnerPolicy;
  /**
   * Roles and scopes that skip every owner rule of this BFF, on top of each rule's own bypass.
   * @default none: only the rules' own bypass lists (the demo's `admin` role) apply.
   */
  ownerBypass?: OwnerBypass;
  /**
   * What a field without a declared rule requires.
   * @default 'authenticated': an unannotated field is closed to anonymous callers.
   */
  defaultPolicy?: 'authenticated' | 'public';
  /**
   * 'reject': the whole request is refused (401 UNAUTHENTICATED for anonymous callers, 403
   * FORBIDDEN otherwise) with every denied path in `extensions.denied`. 'null': the rest runs and
   * each denied field is null with an error at its exact path. In both, no source sees the field.
   * @default 'reject': the client learns at once, and a denied request costs the sources nothing.
   */
  onDenied?: 'reject' | 'null';
  /**
   * `WWW-Authenticate` of a 401, naming the schemes this BFF accepts.
   * @default 'Bearer': the scheme of the JWTs every demo BFF takes.
   */
  challenge?: string;
  /**
   * The functions `@policy` names, from the BFF's `policies` module (bffs/<name>/policies.ts);
   * start-up has checked that every name used has one (checkPolicyFunctions.ts).
   * @default none: a BFF whose SDLs use no `@policy` needs none.
   */
  policies?: PolicyFunctions;
  /**
   * Told when a policy function throws or rejects (the field is denied); for the log.
   * @default ignore
   */
  onPolicyError?: (error: unknown, policy: string, coordinate: string) => void;
}

/** What an admitted operation runs: its rewritten document, and the nulls put back in its results. */
interface Admission {
  rewrite?: (next: ExecutionArgs) => ExecutionArgs;
  placeNulls?: (result: ExecutionResult) => ExecutionResult;
}

/** What the hooks read of execute's and subscribe's arguments. */
type AuthzArgs = ExecutionArgs & { contextValue: PorticoContext };

interface Denied {
  coordinate: string;
  denial: Denial;
  /** Set when ownership, not the field's own rule, denies it. */
  owner?: OwnerDenial;
}

interface OperationPolicy {
  guarded: GuardedField[];
  owners: OwnerAnalysis;
}

/**
 * Field-level authorization from `@public`, `@auth` and `@requiresScopes`, and object-level
 * authorization from `@owner` (ownerGuards.ts: the caller's claim against owner arguments, read
 * from the document and the variables; owner arguments left out are filled with the caller's
 * claim at execution, fillOwnerArguments.ts). The decision is made
 * on the document before execution, so a denied field never reaches the source that serves it:
 * in 'reject' mode the request is refused at validation (and again at execution, in case a
 * plugin skipped validation); in 'null' mode the denied fields are cut from the document that
 * executes, then put back as nulls with errors at their paths.
 *
 * `@policy` (evaluatePolicies.ts) is decided at execution, before any resolver, since its
 * functions may be async: in 'reject' mode a request the cheap rules admit can still be refused
 * there, with the same FORBIDDEN shape.
 *
 * Validation results are cached per document, but this decision depends on the caller, so it
 * runs after validation (uncached) from a per-document list of the fields that are not public,
 * and a refusal is thrown rather than set as the validation result, which yoga would cache for
 * every later caller of the same document.
 */
export function useFieldAuthz(options: FieldAuthzOptions): PorticoPlugin {
  const defaultRule = options.defaultPolicy === 'public' ? PUBLIC : AUTHENTICATED;
  const onDenied = options.onDenied ?? 'reject';
  const challenge = options.challenge ?? 'Bearer';
  const owners = options.owners ?? NO_OWNER_POLICY;
  const ownerBypass = options.ownerBypass ?? NO_BYPASS;
  const fillOwnerArguments = createOwnerFiller();
  const policies = options.policies ?? {};
  // One memo per request (its scope), shared by the operations of a batch.
  const memos = new WeakMap<object, PolicyMemo>();
  const memoOf = (key: object): PolicyMemo => {
    let memo = memos.get(key);
    if (!memo) memos.set(key, (memo = new Map()));
    return memo;
  };
  const bySchema = new WeakMap<GraphQLSchema, { rules: Map<string, FieldRule>; byDocument: WeakMap<DocumentNode, Map<string, OperationPolicy>> }>();

  const policyFor = (schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined): OperationPolicy => {
    let state = bySchema.get(schema);
    if (!state) bySchema.set(schema, (state = { rules: compileFieldRules(schema, options.declared, defaultRule), byDocument: new WeakMap() }));
    let byOperation = state.byDocument.get(document);
    if (!byOperation) state.byDocument.set(document, (byOperation = new Map()));
    const key = operationName ?? '';
    let guarded = byOperation.get(key);
    if (!guarded) {
      const operation = getOperationAST(document, operationName);
      guarded = operation
        ? { guarded: guardedFieldsOf(schema, document, operation, state.rules), owners: ownerGuardsOf(schema, document, operation, state.rules, owners) }
        : { guarded: [], owners: { guards: [], fills: new Map(), variableDefaults: {} } };
      byOperation.set(key, guarded);
    }
    return guarded;
  };

  const deniedFor = (
    policy: OperationPolicy,
    principal: Principal,
    variables: Readonly<Record<string, unknown>> | null | undefined,
  ): Map<FieldNode, Denied> | undefined => {
    let denied: Map<FieldNode, Denied> | undefined;
    for (const field of policy.guarded) {
      const denial = checkRule(field.rule, principal);
      if (denial) (denied ??= new Map()).set(field.node, { coordinate: field.coordinate, denial });
    }
    // Ownership is decided from the document and the variables, before any call: a field its
    // own rule already denies keeps that denial (an anonymous caller gets 401, not 403).
    const values = policy.owners.guards.length > 0 ? { ...policy.owners.variableDefaults, ...variables } : undefined;
    for (const guard of policy.owners.guards) {
      if (denied?.has(guard.node)) continue;
      const owner = ownerDenial(guard, principal, values, ownerBypass);
      if (owner) (denied ??= new Map()).set(guard.node, { coordinate: guard.coordinate, denial: 'forbidden', owner });
    }
    return denied;
  };

  const refusal = (document: DocumentNode, operationName: string | null | undefined, denied: Map<FieldNode, Denied>, principal: Principal) => {
    const operation = getOperationAST(document, operationName)!;
    const anonymous = principal.kind === 'anonymous';
    const entries = deniedPathsOf(document, operation, new Set(denied.keys()));
    return porticoError(anonymous ? 'UNAUTHENTICATED' : 'FORBIDDEN', {
      nodes: entries.map((entry) => entry.node),
      details: {
        ...(anonymous ? { reason: 'credentials_required' } : {}),
        denied: entries.map(({ node, path }) => {
          const { coordinate, owner } = denied.get(node)!;
          return { field: coordinate, ...(path ? { path } : {}), ...(owner ? { reason: owner } : {}) };
        }),
      },
      ...(anonymous ? { headers: { 'WWW-Authenticate': challenge } } : {}),
    });
  };

  return {
    onValidate({ params: { schema, documentAST }, context }) {
      if (onDenied !== 'reject') return undefined;
      return ({ valid }) => {
        if (!valid) return;
        const principal = context.portico?.principal ?? ANONYMOUS;
        const params = (context as { params?: { operationName?: string | null; variables?: Record<string, unknown> | null } }).params;
        const operationName = params?.operationName;
        const denied = deniedFor(policyFor(schema, documentAST, operationName), principal, params?.variables);
        // Thrown, not set as the validation result: yoga caches that result per document, and
        // this refusal is for this caller only.
        if (denied) throw refusal(documentAST, operationName, denied, principal);
      };
    },
    onExecute({ args, executeFn, setExecuteFn, setResultAndStopExecution }) {
      return whenAdmitted(args, setResultAndStopExecution, ({ rewrite, placeNulls }) => {
        if (rewrite) setExecuteFn((executionArgs) => executeFn(rewrite(executionArgs)));
        if (!placeNulls) return undefined;
        return {
          onExecuteDone({ result, setResult }) {
            if (isPlainResult(result)) setResult(placeNulls(result));
          },
        } satisfies OnExecuteHookResult<PorticoContext>;
      });
    },
    // A subscription is decided once, at subscribe, from the same document and caller; in 'null'
    // mode every event runs the pruned document and gets its nulls: a denied field is in no event.
    onSubscribe({ args, subscribeFn, setSubscribeFn, setResultAndStopExecution }) {
      return whenAdmitted(args, setResultAndStopExecution, ({ rewrite, placeNulls }) => {
        if (rewrite) setSubscribeFn((subscribeArgs) => subscribeFn(rewrite(subscribeArgs)));
        if (!placeNulls) return undefined;
        return {
          onSubscribeResult() {
            return {
              onNext({ result, setResult }: { result: ExecutionResult; setResult: (result: ExecutionResult) => void }) {
                setResult(placeNulls(result));
              },
            };
          },
        };
      });
    },
  };

  /**
   * The fields this caller may not have, then `then` with them. `@policy` functions are asked only
   * about fields the cheap rules admit, and only then is the hook async: an operation without
   * `@policy` fields costs no promise.
   */
  function whenDenied<R>(args: AuthzArgs, then: (denied: Map<FieldNode, Denied> | undefined) => R): R | Promise<R> {
    const principal = args.contextValue.portico?.principal ?? ANONYMOUS;
    const policy = policyFor(args.schema, args.document, args.operationName);
    const cheap = deniedFor(policy, principal, args.variableValues);
    const asked = policy.guarded.filter((field) => field.rule.policies !== undefined && !cheap?.has(field.node));
    if (asked.length === 0) return then(cheap);
    const memo = memoOf(args.contextValue.portico ?? args.contextValue);
    return policyDenials(asked, principal, args.variableValues, policies, memo, options.onPolicyError).then((byPolicy) => {
      if (byPolicy.size === 0) return then(cheap);
      const denied = new Map(cheap);
      for (const field of asked) if (byPolicy.has(field.node)) denied.set(field.node, { coordinate: field.coordinate, denial: 'forbidden' });
      return then(denied);
    });
  }

  /**
   * Runs `then` with the decision when the operation may run (after `@policy` functions, if any);
   * otherwise sets the refusal as its result and returns nothing.
   */
  function whenAdmitted<R>(args: AuthzArgs, stop: (result: ExecutionResult) => void, then: (decision: Admission) => R): R | undefined | Promise<R | undefined> {
    return whenDenied(args, (denied) => {
      const decision = decide(args, denied);
      if (!('refusal' in decision)) return then(decision);
      stop({ errors: [decision.refusal] });
      return undefined;
    });
  }

  /**
   * What this caller may run of this operation: a refusal ('reject' mode), or the rewrite of the
   * executed document (denied fields cut, owner arguments filled) and the nulls put back after.
   */
  function decide(
    args: AuthzArgs,
    denied: Map<FieldNode, Denied> | undefined,
  ): { refusal: GraphQLError } | Admission {
    const principal = args.contextValue.portico?.principal ?? ANONYMOUS;
    const policy = policyFor(args.schema, args.document, args.operationName);
    if (denied && onDenied === 'reject') return { refusal: refusal(args.document, args.operationName, denied, principal) };
    const { schema, document, operationName } = args;
    const variables = args.variableValues ?? undefined;
    // 'null' mode: the denied fields are cut, and so is a field a denied non-null child would
    // null anyway (not fetched either).
    const nulled = denied ? certainlyNulledFields({ schema, document, denied: new Set(denied.keys()), variables }) : undefined;
    const cut = denied ? new Set([...denied.keys(), ...nulled!]) : undefined;
    // Owner arguments the client left out become the caller's own (fill rules), so the source
    // returns only the caller's data; fields about to be cut are left alone.
    const filled = policy.owners.fills.size > 0 ? fillOwnerArguments(document, operationName, policy.owners.fills, principal, ownerBypass, cut) : undefined;
    if (!denied) {
      if (!filled) return {};
      return { rewrite: (next) => ({ ...next, document: filled.document, variableValues: { ...next.variableValues, ...filled.variables } }) };
    }
    const pruned = pruneDocument(schema, filled?.document ?? document, cut!);
    return {
      rewrite: (next) => ({ ...next, document: pruned, ...(filled ? { variableValues: { ...next.variableValues, ...filled.variables } } : {}) }),
      placeNulls(result) {
        if (!result.data) return result;
        const operation = getOperationAST(document, operationName);
        if (!operation) return result;
        const coordinates = new Map([...denied].map(([node, { coordinate }]) => [node, coordinate]));
        const { data, placed } = placeDeniedNulls({
          schema,
          document,
          operation,
          data: result.data as Record<string, unknown>,
          denied: coordinates,
          variables,
          nulled: nulled!,
        });
        const errors = placed.map(({ node, coordinate, path }) =>
          porticoError(denied.get(node)!.denial === 'unauthenticated' ? 'UNAUTHENTICATED' : 'FORBIDDEN', {
            path,
            nodes: [node],
            details: { field: coordinate, ...(denied.get(node)!.owner ? { reason: denied.get(node)!.owner } : {}) },
          }),
        );
        return { ...result, data, errors: [...(result.errors ?? []), ...errors] };
      },
    };
  }
}

function isPlainResult(result: unknown): result is ExecutionResult {
  return typeof result === 'object' && result !== null && !(Symbol.asyncIterator in result);
}
