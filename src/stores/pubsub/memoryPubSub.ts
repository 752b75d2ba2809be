import type { PubSub } from './pubSub.js';

/**
 * One process's pub/sub: what a single instance without Redis uses, so the fleet code runs the
 * same way (and is tested the same way) with or without a fleet. Listeners run on a later tick,
 * as with Redis, so a publisher never re-enters its own subscriber synchronously.
 */
export function createMemoryPubSub(): PubSub {
  const listeners = new Map<string, Set<(message: string) => void>>();
  const counters = new Map<string, number>();
  return {
    async publish(channel, message) {
      for (const listener of [...(listeners.get(channel) ?? [])]) queueMicrotask(() => listener(message));
    },
    async subscribe(channel, listener) {
      let set = listeners.get(channel);
      if (!set) listeners.set(channel, (set = new Set()));
      set.add(listener);
      return async () => {
        set.delete(listener);
      };
    },
    async counter(name) {
      return counters.get(name) ?? 0;
    },
    async bump(name) {
      const value = (counters.get(name) ?? 0) + 1;
      counters.set(name, value);
      return value;
    },
    async close() {
      listeners.clear();
    },
  };
}
