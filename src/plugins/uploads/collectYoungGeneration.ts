import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

type GcFunction = (options: { type: 'minor' | 'major' }) => void;

let gc: GcFunction | undefined;

/**
 * Runs a young-generation collection (a V8 scavenge) now: the dead body chunks of a streaming
 * upload are freed at once instead of piling up to V8's 32 MiB trigger (docs/uploads.md, Memory;
 * src/plugins/uploads/createCollectionMeter.ts says when).
 *
 * V8 hands out its `gc` function only to contexts created while `--expose-gc` is set, so the flag
 * is set for the time it takes to create one context and take the function from it, then unset:
 * no other context (a `vm` sandbox a library creates) gets a `gc` global. A process started with
 * `--expose-gc` already has one, which is used as is. Obtained on the first call, once per process.
 */
export function collectYoungGeneration(): void {
  gc ??= exposedGc();
  gc({ type: 'minor' });
}

function exposedGc(): GcFunction {
  const global = (globalThis as { gc?: unknown }).gc;
  if (typeof global === 'function') return global as GcFunction;
  setFlagsFromString('--expose-gc');
  try {
    return runInNewContext('gc') as GcFunction;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}
