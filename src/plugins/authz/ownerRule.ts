import type { Principal } from '../../context/principal.js';

/** The claims an owner rule may compare with: the ones every credential kind sets on a Principal. */
export const OWNER_CLAIMS = ['sub', 'tenant'] as const;
export type OwnerClaim = (typeof OWNER_CLAIMS)[number];

/** Who skips an owner rule: any one of these roles or scopes is enough. */
export interface OwnerBypass {
  readonly roles: readonly string[];
  readonly scopes: readonly string[];
}

export const NO_BYPASS: OwnerBypass = Object.freeze({ roles: [], scopes: [] });

/**
 * `@owner(arg: "id", claim: "sub")` on a field: the value of the argument names the owner of
 * everything the field returns, and must be the caller's claim. With `fill`, a caller who
 * leaves the (optional) argument out gets their own claim filled in, so the source returns only
 * their own data (`orders(userId:)`, `order(id:, userId:)`).
 */
export interface OwnerArgRule {
  readonly arg: string;
  readonly claim: OwnerClaim;
  readonly fill: boolean;
  readonly bypass: OwnerBypass;
}

/**
 * `@owner(field: "userId", claim: "sub")` on a type: an object of the type belongs to the value
 * of that field. The gateway cannot read the field before the source returns it, so an object
 * of the type must be reached under a field whose owner argument (same claim) held; otherwise
 * its non-public fields are denied before any call.
 */
export interface OwnerTypeRule {
  readonly field: string;
  readonly claim: OwnerClaim;
  readonly bypass: OwnerBypass;
}

/** Every owner rule of a BFF: argument rules by "Type.field", type rules by type name. */
export interface OwnerPolicy {
  readonly fields: ReadonlyMap<string, readonly OwnerArgRule[]>;
  readonly types: ReadonlyMap<string, readonly OwnerTypeRule[]>;
}

export const NO_OWNER_POLICY: OwnerPolicy = Object.freeze({ fields: new Map(), types: new Map() });

export function claimOf(principal: Principal, claim: OwnerClaim): string | undefined {
  const value = claim === 'sub' ? principal.subject : principal.tenant;
  return value === undefined || value === '' ? undefined : value;
}

export function bypasses(principal: Principal, ...bypassLists: readonly OwnerBypass[]): boolean {
  return bypassLists.some(
    (bypass) => bypass.roles.some((role) => principal.roles.includes(role)) || bypass.scopes.some((scope) => principal.scopes.includes(scope)),
  );
}

/**
 * Whether an owner argument's value names the caller. A list (`usersByIds(ids:)`) must name the
 * caller in every entry; an absent or null value names no one (a `fill` rule fills it first).
 * IDs compare as strings: `id: 1` and `id: "1"` are the same ID.
 */
export function namesOwner(value: unknown, claim: string | undefined): boolean {
  if (claim === undefined) return false;
  if (Array.isArray(value)) return value.every((item) => namesOwner(item, claim));
  return (typeof value === 'string' || typeof value === 'number') && String(value) === claim;
}
