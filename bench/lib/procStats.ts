import { readFileSync } from 'node:fs';

// Linux reports CPU time in clock ticks; 100 per second on every mainstream kernel config
// (`getconf CLK_TCK`).
const TICKS_PER_SECOND = 100;

/** CPU seconds (user + system) the process has used since it started. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces; the fields after its closing paren are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state), so utime (14) and stime (15) are at 11 and 12.
  return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
}

/** Peak resident set size (VmHWM) in MiB. */
export function peakRssMiB(pid: number): number {
  return statusMiB(pid, 'VmHWM');
}

/** Resident set size now (VmRSS) in MiB. */
export function rssMiB(pid: number): number {
  return statusMiB(pid, 'VmRSS');
}

function statusMiB(pid: number, field: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
  return match ? Number(match[1]) / 1024 : NaN;
}

/**
 * Waits until the processes `pids` together have used less than `threshold` of a core over a
 * window of `windowMs`, or `maxMs` have passed. A gateway keeps working after its load stops (V8
 * finishes its incremental marking, and its memory reducer runs full collections over a heap of
 * hundreds of MiB) on the core the next gateway is measured on: without the wait, whichever target
 * follows a large-heap one pays for it. Only the given processes count, so a busy neighbour on a
 * shared machine does not hold the bench up. Returns how long it waited and the last window's share.
 */
export async function waitForQuietProcesses(
  pids: readonly number[],
  { threshold = 0.05, windowMs = 500, maxMs = 10_000 }: { threshold?: number; windowMs?: number; maxMs?: number } = {},
): Promise<{ waitedMs: number; busy: number }> {
  const used = () => pids.reduce((sum, pid) => sum + cpuSeconds(pid), 0);
  const started = Date.now();
  for (;;) {
    const before = used();
    const from = Date.now();
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    const busy = (used() - before) / ((Date.now() - from) / 1000);
    const waitedMs = Date.now() - started;
    if (busy < threshold || waitedMs >= maxMs) return { waitedMs, busy };
  }
}
