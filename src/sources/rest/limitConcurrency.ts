export type ConcurrencyLimit = <T>(task: () => Promise<T>) => Promise<T>;

/** Runs at most `max` tasks at once; the rest wait in arrival order. */
export function limitConcurrency(max: number): ConcurrencyLimit {
  if (!Number.isInteger(max) || max < 1) throw new RangeError(`concurrency limit must be a positive integer, got ${max}`);
  let running = 0;
  const waiting: (() => void)[] = [];

  const release = () => {
    const next = waiting.shift();
    // Hand the slot straight to the next task, so `running` never dips and lets a newcomer jump the queue.
    if (next) next();
    else running--;
  };

  return async <T>(task: () => Promise<T>): Promise<T> => {
    if (running < max) running++;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await task();
    } finally {
      release();
    }
  };
}
