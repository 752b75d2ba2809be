import { getOperationAST, type DocumentNode, type ExecutionResult, type FieldNode, type GraphQLSchema } from 'graphql';
import { ANONYMOUS, type Principal } from '../../context/principal.js';
import type { PorticoPlugin } from '../../context/requestScope.js';
import { porticoError } from '../../errors/index.js';
import { compileFieldRules } from './compileFieldRules.js';
import { AUTHENTICATED, PUBLIC, checkRule, type Denial, type FieldRule } from './fieldRule.js';
import { deniedPathsOf, guardedFieldsOf, type GuardedField } from './guardedFields.js';
import { placeDeniedNulls, pruneDocument } from './nullDeniedFields.js';

export interface FieldAuthzOptions {
  /** The rules the SDLs declare, by "Type.field" (collectFieldPolicy). */
  declared: ReadonlyMap<string, FieldRule>;
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
}

interface Denied {
  coordinate: string;
  denial: Denial;
}

/**
 * Field-level authorization from `@public`, `@auth` and `@requiresScopes`. The decision is made
 * on the document before execution, so a denied field never reaches the source that serves it:
 * in 'reject' mode the request is refused at validation (and again at execution, in case a
 * plugin skipped validation); in 'null' mode the denied fields are cut from the document that
 * executes, then put back as nulls with errors at their paths.
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
  const bySchema = new WeakMap<GraphQLSchema, { rules: Map<string, FieldRule>; byDocument: WeakMap<DocumentNode, Map<string, GuardedField[]>> }>();

  const guardedFor = (schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined) => {
    let state = bySchema.get(schema);
    if (!state) bySchema.set(schema, (state = { rules: compileFieldRules(schema, options.declared, defaultRule), byDocument: new WeakMap() }));
    let byOperation = state.byDocument.get(document);
    if (!byOperation) state.byDocument.set(document, (byOperation = new Map()));
    const key = operationName ?? '';
    let guarded = byOperation.get(key);
    if (!guarded) {
      const operation = getOperationAST(document, operationName);
      guarded = operation ? guardedFieldsOf(schema, document, operation, state.rules) : [];
      byOperation.set(key, guarded);
    }
    return guarded;
  };

  const deniedFor = (guarded: readonly GuardedField[], principal: Principal): Map<FieldNode, Denied> | undefined => {
    let denied: Map<FieldNode, Denied> | undefined;
    for (const field of guarded) {
      const denial = checkRule(field.rule, principal);
      if (denial) (denied ??= new Map()).set(field.node, { coordinate: field.coordinate, denial });
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
        denied: entries.map(({ node, path }) => ({ field: denied.get(node)!.coordinate, ...(path ? { path } : {}) })),
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
        const operationName = (context as { params?: { operationName?: string | null } }).params?.operationName;
        const denied = deniedFor(guardedFor(schema, documentAST, operationName), principal);
        // Thrown, not set as the validation result: yoga caches that result per document, and
        // this refusal is for this caller only.
        if (denied) throw refusal(documentAST, operationName, denied, principal);
      };
    },
    onExecute({ args, executeFn, setExecuteFn, setResultAndStopExecution }) {
      const principal = args.contextValue.portico?.principal ?? ANONYMOUS;
      const denied = deniedFor(guardedFor(args.schema, args.document, args.operationName), principal);
      if (!denied) return undefined;
      if (onDenied === 'reject') {
        setResultAndStopExecution({ errors: [refusal(args.document, args.operationName, denied, principal)] });
        return undefined;
      }
      const { schema, document, operationName } = args;
      const pruned = pruneDocument(schema, document, new Set(denied.keys()));
      setExecuteFn((executionArgs) => executeFn({ ...executionArgs, document: pruned }));
      return {
        onExecuteDone({ result, setResult }) {
          if (!isPlainResult(result) || !result.data) return;
          const operation = getOperationAST(document, operationName);
          if (!operation) return;
          const coordinates = new Map([...denied].map(([node, { coordinate }]) => [node, coordinate]));
          const { data, placed } = placeDeniedNulls({
            schema,
            document,
            operation,
            data: result.data as Record<string, unknown>,
            denied: coordinates,
            variables: args.variableValues ?? undefined,
          });
          const errors = placed.map(({ node, coordinate, path }) =>
            porticoError(denied.get(node)!.denial === 'unauthenticated' ? 'UNAUTHENTICATED' : 'FORBIDDEN', {
              path,
              nodes: [node],
              details: { field: coordinate },
            }),
          );
          setResult({ ...result, data, errors: [...(result.errors ?? []), ...errors] });
        },
      };
    },
  };
}

function isPlainResult(result: unknown): result is ExecutionResult {
  return typeof result === 'object' && result !== null && !(Symbol.asyncIterator in result);
}
