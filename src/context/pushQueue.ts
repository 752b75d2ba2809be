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
  return new Queue<T>();
}

/**
 * A class, not an object literal with `length` and `finished` getters: such a literal gets a
 * hidden class of its own each time, one per subscription here (bench/README.md, "Speed work" 11).
 */
class Queue<T> implements PushQueue<T> {
  #queued: T[] = [];
  #ending: { last?: T | undefined; failure?: { error: unknown } | undefined } | undefined = undefined;
  #waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined = undefined;

  push(value: T): void {
    this.#queued.push(value);
    this.#settle();
  }

  finish(how: { last?: T | undefined; failure?: { error: unknown } | undefined } = {}): void {
    if (this.#ending) return;
    this.#ending = { last: how.last, failure: how.failure };
    this.#settle();
  }

  clear(): void {
    this.#queued.length = 0;
    if (this.#ending) this.#ending.last = undefined;
  }

  get length(): number {
    return this.#queued.length;
  }

  get finished(): boolean {
    return this.#ending !== undefined;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.#queued.length > 0) return Promise.resolve({ value: this.#queued.shift()!, done: false });
    return new Promise<IteratorResult<T>>((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#settle();
    });
  }

  #settle(): void {
    const waiter = this.#waiting;
    if (!waiter) return;
    if (this.#queued.length > 0) {
      this.#waiting = undefined;
      waiter.resolve({ value: this.#queued.shift()!, done: false });
      return;
    }
    const ending = this.#ending;
    if (!ending) return;
    this.#waiting = undefined;
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
  }
}
