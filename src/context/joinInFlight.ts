/**
 * The promise under `key` in `pending` if one is still on its way, else `start()`'s, kept there
 * until it settles. Overlapping asks for one key share one piece of work; the entry is dropped as
 * the answer arrives, before anything else can join it, so a finished answer is never handed out
 * again (callers that want that keep a cache of their own).
 */
export function joinInFlight<K, V>(pending: Map<K, Promise<V>>, key: K, start: () => Promise<V>): Promise<V> {
  let work = pending.get(key);
  if (work === undefined) {
    work = start().then(
      (value) => {
        pending.delete(key);
        return value;
      },
      (error: unknown) => {
        pending.delete(key);
        throw error;
      },
    );
    pending.set(key, work);
  }
  return work;
}
