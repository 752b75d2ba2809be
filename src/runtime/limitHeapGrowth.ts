import { setFlagsFromString } from 'node:v8';
import { ConfigError } from '../config/configError.js';

/** The environment variable that sets or turns off the limit. */
export const HEAP_GROWING_PERCENT_ENV = 'PORTICO_HEAP_GROWING_PERCENT';

/**
 * How far V8's old generation may grow past what the last full collection kept, in per cent.
 * @default 100 — the old generation may double before the next full collection. Why not V8's own
 * choice: V8 picks the factor from its collector's speed over the program's allocation rate and
 * caps it by the heap's maximum, which it sizes from the machine's memory (4 GiB of heap on the
 * 24 GiB development VM). A gateway under load allocates fast (~0.5 MiB per federated request,
 * hundreds of requests a second), so V8 picks its largest factor, 4: after a full collection that
 * keeps ~35 MiB, the old generation grows to ~150 MiB before the next one, nearly all of it the
 * garbage of finished requests. That headroom, not live data, was most of `portico serve`'s
 * 294 MiB peak RSS in `npm run bench` (bench/README.md, "Where the memory goes"). At 2 the peak
 * old generation is ~85 MiB; the price is a full collection about twice as often, most of whose
 * marking V8 does incrementally between requests.
 */
export const DEFAULT_HEAP_GROWING_PERCENT = 100;

/**
 * The growing percent `env` asks for: {@link DEFAULT_HEAP_GROWING_PERCENT} when unset, `undefined`
 * for `off` or `0` (V8's own heuristic), else a whole number from 10 to 300. Anything else is a
 * configuration mistake, named as such.
 */
export function heapGrowingPercent(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const raw = env[HEAP_GROWING_PERCENT_ENV]?.trim();
  if (raw === undefined || raw === '') return DEFAULT_HEAP_GROWING_PERCENT;
  if (raw === 'off' || raw === '0') return undefined;
  const value = Number(raw);
  // Below 10 a full collection would follow almost every young one; above 300 is V8's own range.
  if (!Number.isInteger(value) || value < 10 || value > 300) {
    throw new ConfigError('environment', HEAP_GROWING_PERCENT_ENV, `expected a whole number from 10 to 300, or off, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/**
 * Sets V8's heap growing factor for this process from `env` (see {@link heapGrowingPercent}).
 * Called once, first thing in the `portico` process. V8 reads `--heap-growing-percent` each time
 * it sets the next full collection's limit, so setting it at run time works (unlike the heap's
 * maximum or the young generation's size, which V8 fixes when the process starts).
 * Returns the percent set, or `undefined` when V8 keeps its own heuristic.
 */
export function limitHeapGrowth(env: Readonly<Record<string, string | undefined>>): number | undefined {
  const percent = heapGrowingPercent(env);
  if (percent !== undefined) setFlagsFromString(`--heap-growing-percent=${percent}`);
  return percent;
}
