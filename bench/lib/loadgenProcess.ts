import type { LoadJob, LoadResult } from './loadgen.js';
import type { ProcessGroup } from './processes.js';

export interface LoadgenProcess {
  /** Runs one job in the load generator process; jobs queue, one at a time. */
  load(job: LoadJob): Promise<LoadResult>;
  /** Closes the IPC channel, on which the load generator exits. */
  close(): void;
}

/**
 * The load generator (bench/lib/loadgen.ts) as a process of its own pinned to `cpu`, so
 * generating load never takes the CPU of the process under test.
 */
export function startLoadgen(group: ProcessGroup, cpu: number, cwd: string): LoadgenProcess {
  const loadgen = group.start({ name: 'loadgen', cpu, command: process.execPath, args: ['--import', 'tsx', 'bench/lib/loadgen.ts'], cwd, ipc: true });
  let queue = Promise.resolve();
  return {
    load(job) {
      const run = queue.then(
        () =>
          new Promise<LoadResult>((resolve, reject) => {
            const onExit = () => reject(new Error(`the load generator exited: ${loadgen.stderr().trim()}`));
            loadgen.child.once('exit', onExit);
            loadgen.child.once('message', (message: { ok: boolean; result?: LoadResult; error?: string }) => {
              loadgen.child.off('exit', onExit);
              // IPC carries JSON, where NaN (no successful response to take a percentile of) is null.
              if (message.ok) resolve({ ...message.result!, p50: message.result!.p50 ?? NaN, p99: message.result!.p99 ?? NaN });
              else reject(new Error(`load generator: ${message.error}`));
            });
            loadgen.child.send(job);
          }),
      );
      queue = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    },
    close: () => loadgen.child.disconnect(),
  };
}
