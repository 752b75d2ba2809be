/**
 * Events pushed by a producer and pulled by one consumer through `next()`, the part every
 * push-fed async iterator of the gateway shares: the per-client subscription guard
 * (src/plugins/subscriptions/guardEvents.ts) and each subscriber of a shared upstream stream
 * (src/sources/graphql/createSubscriptionHub.ts). Unbounded by itself: its owner bounds it (the
 * guard ends a stream that falls `maxBuffered` behind).
 *
 * The end is told once: the events still queued go out first, then `last` (when given), then
 * `failure` as a rejection (when given), then `done` for every later pull.
 */
export interface PushQueue<T> {
  push(value: T): void;
  /** Ends the queue; a second call is ignored (the first end stands). */
  finish(how?: { last?: T | undefined; failure?: { error: unknown } | undefined }): void;
  /** Drops the queued events and a `last` not yet delivered (a consumer gone, a stream cut off). */
  clear(): void;
  readonly length: number;
  /** Whether `finish` was called (events may still be queued). */
  readonly finished: boolean;
  /** The next event, or the end; only one pull waits at a time, as an async iterator's consumer pulls. */
  next(): Promise<IteratorResult<T>>;
}

export function createPushQueue<T>(): PushQueue<T> {
  const queued: T[] = [];
  let ending: { last?: T | undefined; failure?: { error: unknown } | undefined } | undefined;
  let waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined;

  const settle = () => {
    if (!waiting) return;
    const waiter = waiting;
    if (queued.length > 0) {
      waiting = undefined;
      waiter.resolve({ value: queued.shift()!, done: false });
      return;
    }
    if (!ending) return;
    waiting = undefined;
    if (ending.last !== undefined) {
      const value = ending.last;
      ending.last = undefined;
      waiter.resolve({ value, done: false });
    } else if (ending.failure) {
      const { error } = ending.failure;
      ending.failure = undefined;
      waiter.reject(error);
    } else {
      waiter.resolve({ value: undefined, done: true });
    }
  };

  return {
    push(value) {
      queued.push(value);
      settle();
    },
    finish(how = {}) {
      if (ending) return;
      ending = { last: how.last, failure: how.failure };
      settle();
    },
    clear() {
      queued.length = 0;
      if (ending) ending.last = undefined;
    },
    get length() {
      return queued.length;
    },
    get finished() {
      return ending !== undefined;
    },
    next() {
      if (queued.length > 0) return Promise.resolve({ value: queued.shift()!, done: false });
      return new Promise<IteratorResult<T>>((resolve, reject) => {
        waiting = { resolve, reject };
        settle();
      });
    },
  };
}
