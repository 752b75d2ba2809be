import type { Principal } from '../../context/principal.js';
import { AuthFailure } from './authFailure.js';

/** Where each part of the principal is read from in a verified token's payload. */
export interface ClaimPaths {
  subject: string;
  tenant: string;
  plan: string;
  scopes: string;
  roles: string;
}

/**
 * A claim by name, else by dotted path. The exact name wins because namespaced claims
 * (`https://example.com/tenant`) contain dots themselves; `realm_access.roles` reaches into an object.
 */
export function readClaim(payload: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(payload, path)) return payload[path];
  if (!path.includes('.')) return undefined;
  let current: unknown = payload;
  for (const key of path.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

/**
 * The principal a verified token describes; frozen, because the verified-token cache hands the
 * same object to every request that presents the token. A claim of the wrong type refuses the
 * token rather than being ignored: a tenant that silently became "none" would widen access.
 */
export function principalFromClaims(payload: Readonly<Record<string, unknown>>, paths: ClaimPaths): Principal {
  const subject = readClaim(payload, paths.subject);
  if (subject === undefined) throw new AuthFailure('missing_claim', 'bearer');
  if (typeof subject !== 'string' || subject === '') throw new AuthFailure('invalid_claims', 'bearer');
  const principal: Principal = {
    kind: 'jwt',
    subject,
    scopes: Object.freeze(stringList(readClaim(payload, paths.scopes))),
    roles: Object.freeze(stringList(readClaim(payload, paths.roles))),
  };
  const tenant = optionalString(readClaim(payload, paths.tenant));
  if (tenant !== undefined) principal.tenant = tenant;
  const plan = optionalString(readClaim(payload, paths.plan));
  if (plan !== undefined) principal.plan = plan;
  if (typeof payload['jti'] === 'string' && payload['jti'] !== '') principal.jti = payload['jti'];
  if (typeof payload['exp'] === 'number') principal.expiresAt = payload['exp'];
  principal.claims = payload;
  return Object.freeze(principal);
}

function optionalString(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new AuthFailure('invalid_claims', 'bearer');
  return value;
}

/** OAuth 2 `scope` is one space-separated string (RFC 8693 §4.2); other IdPs send an array. */
function stringList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (typeof value === 'string') return value.split(' ').filter((item) => item !== '');
  if (Array.isArray(value) && value.every((item): item is string => typeof item === 'string' && item !== '')) return [...value];
  throw new AuthFailure('invalid_claims', 'bearer');
}
