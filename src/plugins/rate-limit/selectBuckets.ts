import { isIPv6 } from 'node:net';
import type { Quota, RateLimitTier } from '../../config/rateLimitSchema.js';
import type { Principal } from '../../context/principal.js';
import type { Bucket } from '../../stores/rate-limit/rateLimitStore.js';

/** A bucket with the policy it belongs to, as the headers name it. */
export interface PolicyBucket extends Bucket {
  policy: string;
}

export interface Caller {
  principal: Principal;
  /** The client's IP address (the TCP peer unless a trusted proxy said otherwise). */
  address: string | undefined;
}

/**
 * The buckets one operation is charged to, one per tier that applies to the caller:
 * - `global`: always, one bucket;
 * - `tenant`: authenticated callers, one bucket per tenant (per subject without a tenant), sized
 *   by the plan; an `unlimited` plan, or an unlisted plan without `otherPlans`, skips the tier;
 * - `anonymous`: anonymous callers, one bucket per address (IPv6 per /64, the block one
 *   subscriber usually gets, so rotating addresses within it does not buy more);
 * - `field`: operations selecting the field, one bucket per caller.
 */
export function selectBuckets(tiers: readonly RateLimitTier[], caller: Caller, coordinates: ReadonlySet<string>): PolicyBucket[] {
  const { principal } = caller;
  const anonymous = principal.kind === 'anonymous';
  const buckets: PolicyBucket[] = [];
  const add = (policy: string, key: string, quota: Quota) =>
    buckets.push({ policy, key, limit: quota.limit, windowMs: quota.windowSeconds * 1000 });

  for (const tier of tiers) {
    switch (tier.kind) {
      case 'global':
        add(tier.name, tier.name, tier);
        break;
      case 'tenant': {
        if (anonymous) break;
        const quota = (principal.plan !== undefined ? tier.plans[principal.plan] : undefined) ?? tier.otherPlans;
        if (quota === undefined || quota === 'unlimited') break;
        add(tier.name, `${tier.name}:${principal.tenant !== undefined ? `t:${principal.tenant}` : `s:${principal.subject}`}`, quota);
        break;
      }
      case 'anonymous':
        if (anonymous) add(tier.name, `${tier.name}:${addressKey(caller.address)}`, tier);
        break;
      case 'field': {
        if (!coordinates.has(tier.field)) break;
        const name = tier.name ?? `field:${tier.field}`;
        add(name, `${name}:${callerKey(caller)}`, tier);
        break;
      }
    }
  }
  return buckets;
}

function callerKey({ principal, address }: Caller): string {
  if (principal.tenant !== undefined) return `t:${principal.tenant}`;
  if (principal.kind !== 'anonymous') return `s:${principal.subject}`;
  return `ip:${addressKey(address)}`;
}

/** IPv4 as is (also when IPv4-mapped); IPv6 reduced to its /64 prefix. */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail = ''] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((group) => group.toLowerCase().replace(/^0+(?=.)/, ''))
    .join(':')}::/64`;
}

/** Distinct operations (by their coordinate sets) remembered per caller before the list starts over. */
const OPERATIONS_PER_CALLER = 16;

/**
 * `selectBuckets` remembered per authenticated caller: the verified-token cache hands every
 * request with one token the same principal object, so its buckets (keys, limits, policy names)
 * are worked out once, not on every request. Keyed by that object, so two tokens never share an
 * entry even when their claims are equal, and dropped with it (a WeakMap); at most
 * OPERATIONS_PER_CALLER coordinate sets each. Anonymous callers are not remembered: their
 * buckets depend on the address, and every anonymous request has the same principal.
 * The lists are shared between requests: read them, never change them.
 */
export function createBucketSelector(tiers: readonly RateLimitTier[]): (caller: Caller, coordinates: ReadonlySet<string>) => readonly PolicyBucket[] {
  const byPrincipal = new WeakMap<Principal, Map<ReadonlySet<string>, PolicyBucket[]>>();
  return (caller, coordinates) => {
    if (caller.principal.kind === 'anonymous') return selectBuckets(tiers, caller, coordinates);
    let byOperation = byPrincipal.get(caller.principal);
    if (byOperation === undefined) byPrincipal.set(caller.principal, (byOperation = new Map()));
    let buckets = byOperation.get(coordinates);
    if (buckets === undefined) {
      if (byOperation.size >= OPERATIONS_PER_CALLER) byOperation.clear();
      buckets = selectBuckets(tiers, caller, coordinates);
      byOperation.set(coordinates, buckets);
    }
    return buckets;
  };
}
