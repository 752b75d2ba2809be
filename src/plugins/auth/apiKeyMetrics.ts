import { Gauge, register } from 'prom-client';

const NAME = 'portico_api_key_last_used_seconds';

// prom-client's default registry (the admin /metrics reads it), created once per process. One
// series per configured key that was used: keys are few (a handful per partner), so the label
// set stays small; a key that never shows up after a rotation is safe to remove.
function lastUsed(): Gauge<'bff' | 'key'> {
  return (
    (register.getSingleMetric(NAME) as Gauge<'bff' | 'key'> | undefined) ??
    new Gauge({
      name: NAME,
      help: 'When each partner API key (by id, never the key) last authenticated a request, in Unix seconds.',
      labelNames: ['bff', 'key'],
    })
  );
}

/** Records that the key `id` authenticated a request on `bff` at `nowMs`. */
export function recordApiKeyUse(bff: string, id: string, nowMs: number): void {
  lastUsed().set({ bff, key: id }, Math.floor(nowMs / 1000));
}
