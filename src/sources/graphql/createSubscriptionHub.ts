import { createPushQueue } from '../../context/pushQueue.js';

/**
 * Client subscriptions whose upstream request is identical share one upstream stream.
 *
 * The caller decides what "identical" means by the key it joins under (createSubscriptionExecutor
 * keys on the source, the document, the variables and every header the source would receive,
 * identity headers included, so two callers the source could tell apart never share). The hub
 * only counts who listens:
 *
 * - a subscriber gets every event that arrives after it joined, in order (a late joiner gets no
 *   backlog: a pub/sub source keeps none either);
 * - the upstream stream is opened by the first subscriber and closed (`return()`) when the last
 *   one leaves, by `return()` or its signal;
 * - the upstream's end or failure reaches every subscriber still listening, after the events
 *   queued for it; the next subscriber with that key opens a new stream;
 * - each subscriber gets its own copy of an event (the last one gets the original): what runs
 *   above (stitching annotates result objects, the planner merges into them, field
 *   authorization nulls fields) never sees another subscriber's changes.
 *
 * A subscriber's queue is drained by the gateway's own per-client guard (guardEvents in the
 * subscription policies), which reads as fast as events come and ends a slow client with
 * SLOW_CONSUMER: the bound on memory per client is that guard's, as before sharing.
 */
export interface SubscriptionHub<T> {
  /**
   * Joins the stream open under `key`, or opens one with `open`. The subscriber leaves when
   * `return()` is called or `signal` aborts.
   */
  join(key: string, open: () => AsyncIterator<T>, signal?: AbortSignal): AsyncIterableIterator<T>;
  /** Upstream streams open now (for tests and metrics). */
  readonly size: number;
}

interface Subscriber<T> {
  push(value: T): void;
  finish(failure: { error: unknown } | undefined): void;
}

interface Stream<T> {
  upstream: AsyncIterator<T>;
  subscribers: Set<Subscriber<T>>;
}

export function createSubscriptionHub<T>(options: {
  /** A copy of an event for one more subscriber; the original goes to the last one. */
  copy: (value: T) => T;
}): SubscriptionHub<T> {
  const { copy } = options;
  const streams = new Map<string, Stream<T>>();

  const release = (key: string, stream: Stream<T>) => {
    if (streams.get(key) === stream) streams.delete(key);
    void Promise.resolve()
      .then(() => stream.upstream.return?.())
      .catch(() => undefined);
  };

  const pump = async (key: string, stream: Stream<T>) => {
    let failure: { error: unknown } | undefined;
    try {
      for (;;) {
        const step = await stream.upstream.next();
        if (step.done) break;
        // Everyone left while the event was on its way: the stream is already released.
        if (stream.subscribers.size === 0) return;
        let remaining = stream.subscribers.size;
        for (const subscriber of stream.subscribers) subscriber.push(--remaining === 0 ? step.value : copy(step.value));
      }
    } catch (error) {
      failure = { error };
    }
    if (streams.get(key) === stream) streams.delete(key);
    const subscribers = [...stream.subscribers];
    stream.subscribers.clear();
    for (const subscriber of subscribers) subscriber.finish(failure);
  };

  const join = (key: string, open: () => AsyncIterator<T>, signal?: AbortSignal): AsyncIterableIterator<T> => {
    let stream = streams.get(key);
    const opening = stream === undefined;
    if (stream === undefined) {
      stream = { upstream: open(), subscribers: new Set() };
      streams.set(key, stream);
    }
    const joined = stream;
    const queue = createPushQueue<T>();
    const subscriber: Subscriber<T> = {
      push: (value) => queue.push(value),
      finish(failure) {
        signal?.removeEventListener('abort', leave);
        queue.finish({ failure });
      },
    };
    function leave() {
      if (queue.finished) return;
      signal?.removeEventListener('abort', leave);
      queue.clear();
      queue.finish();
      joined.subscribers.delete(subscriber);
      if (joined.subscribers.size === 0) release(key, joined);
    }

    joined.subscribers.add(subscriber);
    if (signal?.aborted) leave();
    else signal?.addEventListener('abort', leave, { once: true });
    if (opening) void pump(key, joined);

    const events: AsyncIterableIterator<T> = {
      next: () => queue.next(),
      return() {
        leave();
        return Promise.resolve({ value: undefined, done: true });
      },
      [Symbol.asyncIterator]() {
        return events;
      },
    };
    return events;
  };

  return {
    join,
    // eslint-disable-next-line no-restricted-syntax -- one hub per source, made at start-up
    get size() {
      return streams.size;
    },
  };
}
