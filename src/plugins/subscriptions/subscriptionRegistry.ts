import type { Principal } from '../../context/principal.js';

/** Why a running subscription is ended by the gateway rather than by its source or its client. */
export type EndReason = 'TOKEN_EXPIRED' | 'TOKEN_REVOKED' | 'SLOW_CONSUMER' | 'DRAINING';

/** Why a new subscription is refused before it starts. */
export type Refusal = 'principal' | 'process' | 'draining';

export interface Admission {
  bff: string;
  principal: Principal;
  /** This BFF's per-principal cap (`subscriptions.maxPerPrincipal`). */
  maxPerPrincipal: number;
  /** Called once, when the gateway ends the subscription; the layer above turns it into the client's last event. */
  end(reason: EndReason): void;
}

export interface Lease {
  /** The subscription is over (completed, failed, client gone): its slots are free again. Idempotent. */
  release(): void;
}

export interface SubscriptionRegistryOptions {
  /** Subscriptions open at once in this process. */
  maxPerProcess: number;
  /** Epoch ms; injected by tests. @default Date.now */
  now?: () => number;
  /** Runs `fn` after `ms`; returns a cancel. Injected by tests. @default an unref'd setTimeout */
  setTimer?: (fn: () => void, ms: number) => () => void;
}

export interface SubscriptionRegistry {
  admit(admission: Admission): { lease: Lease } | { refused: Refusal };
  /** Ends every subscription opened with this token id, whatever its BFF. */
  revoked(jti: string): number;
  /** Refuses new subscriptions and ends every open one; resolves the count ended. */
  drain(): number;
  /** Open subscriptions, per process. */
  count(): number;
}

interface Entry {
  principalKey: string | undefined;
  jti: string | undefined;
  end: (reason: EndReason) => void;
  cancelTimer: (() => void) | undefined;
}

const defaultTimer = (fn: () => void, ms: number) => {
  // A token valid for days must not overflow setTimeout's 32-bit delay (it would fire at once).
  const timer = setTimeout(fn, Math.min(ms, 2 ** 31 - 1));
  timer.unref();
  return () => clearTimeout(timer);
};

/**
 * The subscriptions one process holds open: the caps (per principal per BFF, per process), the
 * credential each was opened with (so an expiry or a revocation ends exactly those), and the
 * drain. Pure bookkeeping: no yoga, no Redis, no protocol, time through `now`/`setTimer`.
 *
 * An expiry fires at the token's `exp` (a timer per subscription, cancelled on release); a
 * revocation is pushed in by whoever hears of it (src/runtime/startPortico.ts wires the fleet's
 * revocation channel here), and each ends in the same tick.
 */
export function createSubscriptionRegistry(options: SubscriptionRegistryOptions): SubscriptionRegistry {
  const now = options.now ?? Date.now;
  const setTimer = options.setTimer ?? defaultTimer;
  const entries = new Set<Entry>();
  const byPrincipal = new Map<string, number>();
  const byJti = new Map<string, Set<Entry>>();
  let draining = false;

  const remove = (entry: Entry) => {
    if (!entries.delete(entry)) return false;
    entry.cancelTimer?.();
    if (entry.principalKey !== undefined) {
      const left = (byPrincipal.get(entry.principalKey) ?? 1) - 1;
      if (left === 0) byPrincipal.delete(entry.principalKey);
      else byPrincipal.set(entry.principalKey, left);
    }
    if (entry.jti !== undefined) {
      const set = byJti.get(entry.jti);
      set?.delete(entry);
      if (set?.size === 0) byJti.delete(entry.jti);
    }
    return true;
  };
  const endEntry = (entry: Entry, reason: EndReason) => {
    if (remove(entry)) entry.end(reason);
  };

  return {
    admit({ bff, principal, maxPerPrincipal, end }) {
      if (draining) return { refused: 'draining' };
      // Anonymous callers are one crowd, not one principal: only the process cap holds them.
      const principalKey = principal.kind === 'anonymous' ? undefined : `${bff}\u0000${principal.kind}\u0000${principal.tenant ?? ''}\u0000${principal.subject}`;
      if (principalKey !== undefined && (byPrincipal.get(principalKey) ?? 0) >= maxPerPrincipal) return { refused: 'principal' };
      if (entries.size >= options.maxPerProcess) return { refused: 'process' };
      const entry: Entry = { principalKey, jti: principal.jti, end, cancelTimer: undefined };
      entries.add(entry);
      if (principalKey !== undefined) byPrincipal.set(principalKey, (byPrincipal.get(principalKey) ?? 0) + 1);
      if (entry.jti !== undefined) {
        let set = byJti.get(entry.jti);
        if (!set) byJti.set(entry.jti, (set = new Set()));
        set.add(entry);
      }
      if (principal.expiresAt !== undefined) {
        const remaining = principal.expiresAt * 1000 - now();
        if (remaining <= 0) queueMicrotask(() => endEntry(entry, 'TOKEN_EXPIRED'));
        else entry.cancelTimer = setTimer(() => endEntry(entry, 'TOKEN_EXPIRED'), remaining);
      }
      return { lease: { release: () => void remove(entry) } };
    },
    revoked(jti) {
      const set = byJti.get(jti);
      if (!set) return 0;
      const ended = [...set];
      for (const entry of ended) endEntry(entry, 'TOKEN_REVOKED');
      return ended.length;
    },
    drain() {
      draining = true;
      const ended = [...entries];
      for (const entry of ended) endEntry(entry, 'DRAINING');
      return ended.length;
    },
    count: () => entries.size,
  };
}
