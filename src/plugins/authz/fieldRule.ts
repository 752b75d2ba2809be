import type { Principal } from '../../context/principal.js';

/**
 * What reading one field requires. `public` needs nothing, not even credentials; otherwise the
 * caller must be authenticated, hold every role in `roles`, and for each entry of `scopes`
 * hold all the scopes of at least one of its alternatives (`@requiresScopes` semantics: an OR
 * of ANDs; several `@requiresScopes` on one field must all hold).
 */
export interface FieldRule {
  readonly public: boolean;
  readonly roles: readonly string[];
  readonly scopes: readonly (readonly (readonly string[])[])[];
  /**
   * `@policy(policies: [["a", "b"], ["c"]])` entries, in the same OR-of-ANDs shape as `scopes`:
   * named functions the BFF team writes (src/plugins/authz/evaluatePolicies.ts decides them,
   * asynchronously, once the cheap checks above have passed). Absent: no named policy.
   */
  readonly policies?: readonly (readonly (readonly string[])[])[];
}

export const PUBLIC: FieldRule = Object.freeze({ public: true, roles: [], scopes: [] });
export const AUTHENTICATED: FieldRule = Object.freeze({ public: false, roles: [], scopes: [] });

/** Both rules must hold. `@public` adds no requirement, so it never loosens another rule. */
export function bothRules(a: FieldRule, b: FieldRule): FieldRule {
  if (a.public) return b;
  if (b.public) return a;
  return {
    public: false,
    roles: [...new Set([...a.roles, ...b.roles])],
    scopes: [...a.scopes, ...b.scopes],
    ...(a.policies || b.policies ? { policies: [...(a.policies ?? []), ...(b.policies ?? [])] } : {}),
  };
}

/** Why a caller may not read a field: no credentials at all, or not enough of them. */
export type Denial = 'unauthenticated' | 'forbidden';

export function checkRule(rule: FieldRule, principal: Principal): Denial | undefined {
  if (rule.public) return undefined;
  if (principal.kind === 'anonymous') return 'unauthenticated';
  for (const role of rule.roles) if (!principal.roles.includes(role)) return 'forbidden';
  for (const alternatives of rule.scopes) {
    if (!alternatives.some((all) => all.every((scope) => principal.scopes.includes(scope)))) return 'forbidden';
  }
  return undefined;
}

/** For messages and docs: `@requiresScopes(scopes: [["a","b"],["c"]])` reads "a and b, or c". */
export function describeRule(rule: FieldRule): string {
  if (rule.public) return 'public';
  const parts = ['authenticated'];
  if (rule.roles.length > 0) parts.push(`roles ${rule.roles.join(' and ')}`);
  for (const alternatives of rule.scopes) {
    parts.push(`scopes ${alternatives.map((all) => all.join(' and ')).join(', or ')}`);
  }
  for (const alternatives of rule.policies ?? []) {
    parts.push(`policies ${alternatives.map((all) => all.join(' and ')).join(', or ')}`);
  }
  return parts.join('; ');
}
