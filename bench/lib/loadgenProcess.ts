import type { LoadJob, LoadResult } from './loadgen.js';
import type { ProcessGroup } from './processes.js';

export interface LoadgenProcess {
  /** Runs one job in the load generator process; jobs queue, one at a time. */
  load(job: LoadJob): Promise<LoadResult>;
  /** Closes the IPC channel, on which the load generator exits. */
  close(): void;
}

export interface JobProcess<Job, Result> {
  pid: number;
  /** Runs one job in the process; jobs queue, one at a time. */
  run(job: Job): Promise<Result>;
  /** Closes the IPC channel, on which the process exits. */
  close(): void;
}

/**
 * A script that serves jobs over IPC (`{ ok, result }` or `{ ok: false, error }` per job) as a
 * process of its own pinned to `cpu`, so generating load never takes the CPU of the process
 * under test.
 */
export function startJobProcess<Job, Result>(
  group: ProcessGroup,
  name: string,
  cpu: number,
  cwd: string,
  script: string,
  options: { ownSession?: boolean } = {},
): JobProcess<Job, Result> {
  const started = group.start({ name, cpu, command: process.execPath, args: ['--import', 'tsx', script], cwd, ipc: true, ...options });
  let queue = Promise.resolve();
  return {
    pid: started.pid,
    run(job) {
      const run = queue.then(
        () =>
          new Promise<Result>((resolve, reject) => {
            const onExit = () => reject(new Error(`${name} exited: ${started.stderr().trim()}`));
            started.child.once('exit', onExit);
            started.child.once('message', (message: { ok: boolean; result?: Result; error?: string }) => {
              started.child.off('exit', onExit);
              if (message.ok) resolve(message.result!);
              else reject(new Error(`${name}: ${message.error}`));
            });
            started.child.send(job as object);
          }),
      );
      queue = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    },
    close: () => started.child.disconnect(),
  };
}

/** The load generator (bench/lib/loadgen.ts, autocannon) as a process of its own pinned to `cpu`. */
export function startLoadgen(group: ProcessGroup, cpu: number, cwd: string): LoadgenProcess {
  const loadgen = startJobProcess<LoadJob, LoadResult>(group, 'loadgen', cpu, cwd, 'bench/lib/loadgen.ts');
  return {
    // IPC carries JSON, where NaN (no successful response to take a percentile of) is null.
    load: (job) => loadgen.run(job).then((result) => ({ ...result, p50: result.p50 ?? NaN, p99: result.p99 ?? NaN })),
    close: loadgen.close,
  };
}
