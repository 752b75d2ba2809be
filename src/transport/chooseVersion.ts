import { createHash } from 'node:crypto';
import type { Principal } from '../context/principal.js';
import type { TrafficConfig, TrafficMatch } from '../config/trafficSchema.js';

/** What a routing decision may read about a request. */
export interface RoutingFacts {
  /** The verified caller (anonymous when absent). Identity comes only from here. */
  principal?: Principal | undefined;
  /** A request header by lower-case name; only rules' `header` conditions read it. */
  header(name: string): string | undefined;
}

export interface VersionChoice {
  version: string;
  /** Why: a rule matched, the weights placed it, or the primary because nothing else applied. */
  by: 'rule' | 'weight' | 'primary';
}

/**
 * Picks the version a call goes to: the first matching rule, else the weights (by the subject's
 * hash when sticky and signed in, else at random), else the primary. A version in `withdrawn`
 * (rolled back) gets nothing: a rule naming it and its weight both fall to the primary, so a
 * rolled-back version sees no further calls at all.
 */
export function chooseVersion(
  source: string,
  traffic: TrafficConfig,
  facts: RoutingFacts,
  withdrawn: { has(version: string): boolean },
  random: () => number = Math.random,
): VersionChoice {
  for (const rule of traffic.rules) {
    if (!matches(rule.when, facts)) continue;
    return withdrawn.has(rule.version) ? { version: traffic.primary, by: 'primary' } : { version: rule.version, by: 'rule' };
  }
  const weights = traffic.weights;
  if (!weights) return { version: traffic.primary, by: 'primary' };
  const subject = facts.principal?.subject;
  const point = (traffic.sticky && subject ? stickyPoint(source, subject) : random()) * 100;
  let upTo = 0;
  for (const [version, weight] of Object.entries(weights)) {
    upTo += weight;
    if (point < upTo) return withdrawn.has(version) ? { version: traffic.primary, by: 'primary' } : { version, by: 'weight' };
  }
  // Only reached through rounding at the very top of the range.
  return { version: traffic.primary, by: 'primary' };
}

/**
 * Where a subject falls in [0, 1) for a source: the first 48 bits of SHA-256(source, subject).
 * Salted by source so that a user on the canary of one source is not on the canary of every
 * source; stable across instances and restarts, so a fleet agrees on each user's version.
 */
export function stickyPoint(source: string, subject: string): number {
  const digest = createHash('sha256').update(source).update('\0').update(subject).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48;
}

function matches(when: TrafficMatch, facts: RoutingFacts): boolean {
  const principal = facts.principal;
  if (when.header && facts.header(when.header.name) !== when.header.equals) return false;
  if (when.tenant && !(principal?.tenant !== undefined && when.tenant.includes(principal.tenant))) return false;
  if (when.subject && !(principal?.subject && when.subject.includes(principal.subject))) return false;
  if (when.plan && !(principal?.plan !== undefined && when.plan.includes(principal.plan))) return false;
  if (when.role && !principal?.roles.includes(when.role)) return false;
  if (when.scope && !principal?.scopes.includes(when.scope)) return false;
  return true;
}
