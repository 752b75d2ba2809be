import { getArgumentValues, type FieldNode } from 'graphql';
import type { Principal } from '../../context/principal.js';
import type { GuardedField } from './guardedFields.js';

/** What a `@policy` function is asked: who calls, which field, with which arguments. */
export interface PolicyRequest {
  readonly principal: Principal;
  readonly field: {
    /** The type the field is read on, under the BFF's names. */
    readonly type: string;
    readonly name: string;
    /** "Type.field". */
    readonly coordinate: string;
  };
  /** The field's arguments as the request gives them, variables and defaults applied. */
  readonly args: Readonly<Record<string, unknown>>;
}

/**
 * A named policy, written by the BFF team in `bffs/<name>/` (the BFF's `policies` module):
 * true allows, false denies. It may be async (a lookup in a permissions service); it runs
 * before any source call, once per request, field and arguments. A function that throws or
 * rejects denies: a broken policy closes data, it never opens it.
 */
export type PolicyFunction = (request: PolicyRequest) => boolean | Promise<boolean>;

/** The BFF's policies module: one function per name `@policy` uses. */
export type PolicyFunctions = Readonly<Record<string, PolicyFunction>>;

/**
 * One request's decisions so far, by policy, field and arguments: a field reached twice, through
 * aliases, fragments or the operations of a batch, asks each function once.
 */
export type PolicyMemo = Map<string, Promise<boolean>>;

/**
 * The guarded fields whose `@policy` entries deny the caller: for each entry, some inner list
 * must have every function allow (Apollo's OR of ANDs), and every entry must hold. Functions of
 * one request run concurrently; each (policy, field, arguments) once per `memo`. `onError`
 * hears a function that threw (denied).
 */
export async function policyDenials(
  fields: readonly GuardedField[],
  principal: Principal,
  variables: Readonly<Record<string, unknown>> | null | undefined,
  functions: PolicyFunctions,
  memo: PolicyMemo,
  onError: (error: unknown, policy: string, coordinate: string) => void = () => {},
): Promise<Set<FieldNode>> {
  const denied = new Set<FieldNode>();
  await Promise.all(
    fields.map(async (field) => {
      const entries = field.rule.policies;
      if (!entries || entries.length === 0) return;
      let args: Record<string, unknown>;
      try {
        args = getArgumentValues(field.definition, field.node, variables ?? undefined);
      } catch {
        // Arguments execution would refuse anyway: nothing to ask a policy about.
        denied.add(field.node);
        return;
      }
      const [type = '', name = ''] = field.coordinate.split('.');
      const request: PolicyRequest = { principal, field: { type, name, coordinate: field.coordinate }, args };
      const argsKey = stableJson(args);
      const ask = (policy: string): Promise<boolean> => {
        const key = `${policy}\u0000${field.coordinate}\u0000${argsKey}`;
        let decision = memo.get(key);
        if (!decision) {
          decision = decide(functions[policy], request).catch((error: unknown) => {
            onError(error, policy, field.coordinate);
            return false;
          });
          memo.set(key, decision);
        }
        return decision;
      };
      for (const alternatives of entries) {
        const held = await Promise.all(alternatives.map(async (all) => (await Promise.all(all.map(ask))).every(Boolean)));
        if (!held.some(Boolean)) {
          denied.add(field.node);
          return;
        }
      }
    }),
  );
  return denied;
}

async function decide(fn: PolicyFunction | undefined, request: PolicyRequest): Promise<boolean> {
  // Start-up refuses a name without a function (checkPolicyFunctions.ts); a reload that loses one
  // still denies rather than allows.
  if (!fn) return false;
  return (await fn(request)) === true;
}

/** JSON with sorted keys, so `{a, b}` and `{b, a}` are one decision. */
function stableJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : v,
  );
}
