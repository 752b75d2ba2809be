import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ProcessGroup } from './processes.js';

export interface GuardedRun {
  /** Every process the run starts goes here, so every one is stopped. */
  group: ProcessGroup;
  /** A temporary folder, removed at the end. */
  tmp: string;
  /** Stops the watchdog and every process, removes `tmp`; safe to call more than once. */
  finish(): Promise<void>;
}

/**
 * A bench run's bounds: a process group and a temporary folder cleaned up at the end, on
 * Ctrl-C/SIGTERM (exit 130/143) and when `limitMs` passes (exit 124), whatever the run is doing.
 */
export async function startGuardedRun(options: {
  tmpPrefix: string;
  limitMs: number;
  log(line: string): void;
  /** SIGTERM to SIGKILL, per process. @default 3000 (ProcessGroup.stopAll's) */
  stopGraceMs?: number;
}): Promise<GuardedRun> {
  const group = new ProcessGroup();
  const tmp = await mkdtemp(path.join(tmpdir(), options.tmpPrefix));
  let cleaned: Promise<void> | undefined;
  const cleanup = () => (cleaned ??= group.stopAll(options.stopGraceMs).then(() => rm(tmp, { recursive: true, force: true })));
  const abort = (why: string, code: number) => {
    options.log(`bench: ${why}; stopping every process started`);
    void cleanup().then(() => process.exit(code));
  };
  process.once('SIGINT', () => abort('interrupted', 130));
  process.once('SIGTERM', () => abort('terminated', 143));
  const watchdog = setTimeout(() => abort(`time limit of ${Math.round(options.limitMs / 1000)} s reached`, 124), options.limitMs);
  return {
    group,
    tmp,
    finish() {
      clearTimeout(watchdog);
      return cleanup();
    },
  };
}
