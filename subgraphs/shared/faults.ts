import { z } from 'zod';

/**
 * Fault knobs every demo subgraph understands. The gateway's resilience features (deadlines,
 * breakers, retries, fallbacks) are tested by turning these on a real process, so each knob
 * imitates one way a real upstream misbehaves.
 */
export interface FaultKnobs {
  /** Delay added before answering. @default 0 */
  latencyMs: number;
  /**
   * Share of requests answered with HTTP 500, from 0 to 1. Deterministic, not random: request n
   * (counted from the last time this knob was set) fails when `n * errorRate` crosses an integer,
   * so 0.5 fails every 2nd request and 0.25 every 4th. Tests can then assert exact counts.
   * @default 0
   */
  errorRate: number;
  /** Answer 200 with a truncated JSON body, as a proxy cutting a response short would. @default false */
  invalidJson: boolean;
  /** Destroy the socket without answering, as a crashed upstream looks to a client. @default false */
  down: boolean;
  /** Hold requests unanswered until this is cleared or the service is reset. @default false */
  hang: boolean;
}

export const NO_FAULTS: Readonly<FaultKnobs> = Object.freeze({
  latencyMs: 0,
  errorRate: 0,
  invalidJson: false,
  down: false,
  hang: false,
});

/** Body of `POST /__admin/faults`: any subset of the knobs; unknown keys are a typo, so rejected. */
export const faultPatchSchema = z
  .object({
    latencyMs: z.number().int().min(0).max(600_000),
    errorRate: z.number().min(0).max(1),
    invalidJson: z.boolean(),
    down: z.boolean(),
    hang: z.boolean(),
  })
  .partial()
  .strict();

export type FaultPatch = z.infer<typeof faultPatchSchema>;

/**
 * Reads `FAULT_LATENCY_MS`, `FAULT_ERROR_RATE`, `FAULT_INVALID_JSON=1`, `FAULT_DOWN=1` and
 * `FAULT_HANG=1`. A malformed value throws naming the variable: a subgraph silently started
 * without the fault a test asked for would make that test pass for the wrong reason.
 */
export function faultKnobsFromEnv(env: Record<string, string | undefined>): FaultKnobs {
  const knobs: FaultKnobs = { ...NO_FAULTS };
  const latency = env['FAULT_LATENCY_MS'];
  if (latency !== undefined && latency !== '') {
    const value = Number(latency);
    if (!Number.isInteger(value) || value < 0) {
      throw new Error(`FAULT_LATENCY_MS: expected a non-negative integer, got ${JSON.stringify(latency)}`);
    }
    knobs.latencyMs = value;
  }
  const rate = env['FAULT_ERROR_RATE'];
  if (rate !== undefined && rate !== '') {
    const value = Number(rate);
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      throw new Error(`FAULT_ERROR_RATE: expected a number from 0 to 1, got ${JSON.stringify(rate)}`);
    }
    knobs.errorRate = value;
  }
  knobs.invalidJson = flag(env, 'FAULT_INVALID_JSON');
  knobs.down = flag(env, 'FAULT_DOWN');
  knobs.hang = flag(env, 'FAULT_HANG');
  return knobs;
}

function flag(env: Record<string, string | undefined>, name: string): boolean {
  const value = env[name];
  if (value === undefined || value === '' || value === '0') return false;
  if (value === '1') return true;
  throw new Error(`${name}: expected 1 or 0, got ${JSON.stringify(value)}`);
}

/**
 * Whether the n-th request (1-based) fails at `rate`. The epsilon absorbs float error such as
 * 0.57 * 100 = 56.99999999999999, which would otherwise shift the failing request by one.
 */
export function failsAt(n: number, rate: number): boolean {
  if (rate <= 0) return false;
  const EPSILON = 1e-9;
  return Math.floor(n * rate + EPSILON) > Math.floor((n - 1) * rate + EPSILON);
}
