/** An event stream with a bounded buffer, which the gateway can end with a last event of its own. */
export interface GuardedEvents<T> extends AsyncIterableIterator<T> {
  /** The consumer is done (client gone, operation completed): the source stops. */
  return(): Promise<IteratorResult<T>>;
  /**
   * Ends the stream now: buffered events are dropped (a revoked caller must not get one more),
   * the source is told to stop, and the consumer gets `last` (when given) then the end.
   */
  end(last?: T): void;
}

export interface GuardEventsOptions<T> {
  /** Events held for a consumer that does not pull; one more ends the stream with `overflow()`. */
  maxBuffered: number;
  /** The last event of a stream whose consumer fell `maxBuffered` events behind. */
  overflow: () => T;
  /** Called once, however the stream ends (source done or failed, consumer gone, `end`). */
  onClose: () => void;
}

/**
 * Reads `source` as fast as it produces and hands events to the consumer as fast as it pulls,
 * holding at most `maxBuffered` in between. A consumer that pulls slower than events arrive (its
 * socket is full: the server writes only what the client reads) is cut off with `overflow()`
 * instead of growing the buffer, and the source stops at once, so a stuck client holds one small
 * stream, never a growing queue. Protocol-free: any transport that pulls an AsyncIterable
 * (SSE, WebSocket, multipart) gets the same bound.
 */
export function guardEvents<T>(source: AsyncIterable<T>, options: GuardEventsOptions<T>): GuardedEvents<T> {
  const iterator = source[Symbol.asyncIterator]();
  const buffer: T[] = [];
  let last: T | undefined;
  let finished = false;
  let failure: { error: unknown } | undefined;
  let waiting: { resolve: (result: IteratorResult<T>) => void; reject: (error: unknown) => void } | undefined;
  let closed = false;

  const close = () => {
    if (closed) return;
    closed = true;
    options.onClose();
  };
  const settle = () => {
    if (!waiting) return;
    const waiter = waiting;
    if (buffer.length > 0) {
      waiting = undefined;
      waiter.resolve({ value: buffer.shift()!, done: false });
    } else if (finished) {
      waiting = undefined;
      if (last !== undefined) {
        const value = last;
        last = undefined;
        waiter.resolve({ value, done: false });
      } else if (failure) {
        const { error } = failure;
        failure = undefined;
        waiter.reject(error);
      } else waiter.resolve({ value: undefined, done: true });
    }
  };
  const end = (lastEvent?: T) => {
    if (finished) return;
    finished = true;
    buffer.length = 0;
    last = lastEvent;
    close();
    void Promise.resolve(iterator.return?.()).catch(() => undefined);
    settle();
  };

  void (async () => {
    try {
      for (;;) {
        const result = await iterator.next();
        if (finished) return;
        if (result.done) break;
        if (buffer.length >= options.maxBuffered) {
          end(options.overflow());
          return;
        }
        buffer.push(result.value);
        settle();
      }
    } catch (error) {
      if (finished) return;
      failure = { error };
    }
    if (finished) return;
    // The source ended by itself: what is buffered is still delivered.
    finished = true;
    close();
    settle();
  })();

  const guarded: GuardedEvents<T> = {
    next() {
      if (buffer.length > 0) return Promise.resolve({ value: buffer.shift()!, done: false });
      return new Promise<IteratorResult<T>>((resolve, reject) => {
        waiting = { resolve, reject };
        settle();
      });
    },
    return() {
      // The consumer left (client gone, protocol completed): nothing more is read.
      end();
      last = undefined;
      return Promise.resolve({ value: undefined, done: true });
    },
    throw(error?: unknown) {
      end();
      return Promise.reject(error);
    },
    end,
    [Symbol.asyncIterator]() {
      return guarded;
    },
  };
  return guarded;
}
