import { createPushQueue } from '../../context/pushQueue.js';

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
  const queue = createPushQueue<T>();
  let closed = false;

  const close = () => {
    if (closed) return;
    closed = true;
    options.onClose();
  };
  const end = (lastEvent?: T) => {
    if (queue.finished) return;
    // Buffered events are dropped: a revoked caller must not get one more.
    queue.clear();
    queue.finish({ last: lastEvent });
    close();
    void Promise.resolve(iterator.return?.()).catch(() => undefined);
  };

  void (async () => {
    let failure: { error: unknown } | undefined;
    try {
      for (;;) {
        const result = await iterator.next();
        if (queue.finished) return;
        if (result.done) break;
        if (queue.length >= options.maxBuffered) {
          end(options.overflow());
          return;
        }
        queue.push(result.value);
      }
    } catch (error) {
      if (queue.finished) return;
      failure = { error };
    }
    if (queue.finished) return;
    // The source ended by itself: what is buffered is still delivered.
    queue.finish({ failure });
    close();
  })();

  const guarded: GuardedEvents<T> = {
    next: () => queue.next(),
    return() {
      // The consumer left (client gone, protocol completed): nothing more is read or delivered.
      end();
      queue.clear();
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
