import { execFileSync, spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import { createInterface } from 'node:readline';

export interface Started {
  name: string;
  /** The pid of the program itself: `taskset` execs it, so this is what /proc describes. */
  pid: number;
  child: ChildProcess;
  /** Everything written to stderr so far (for error reports). */
  stderr(): string;
}

export interface SpawnPinned {
  name: string;
  /** The CPU this process may run on (`taskset -c`). */
  cpu: number;
  command: string;
  args: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Keep stdin as a pipe (children that exit when it closes), an IPC channel, and where stdout goes. */
  stdin?: 'pipe' | 'ignore';
  ipc?: boolean;
  /** 'pipe' to read it, or an open file descriptor to write it to (the access log). */
  stdout?: 'pipe' | 'ignore' | number;
  /**
   * A session of its own (setsid): with the kernel's autogroup scheduling (on by default), a
   * session shares the CPU with other sessions as one, and nice only orders the processes inside
   * it. A process in a session of its own can be given its share by `prioritise`. @default false
   */
  ownSession?: boolean;
}

/**
 * Every process the bench starts, so that every one is stopped: at the end, on an error, on
 * Ctrl-C, and (SIGKILL, synchronously) when the bench process exits for any other reason.
 */
export class ProcessGroup {
  private readonly children = new Set<Started>();
  private readonly killAll = () => {
    for (const started of this.children) started.child.kill('SIGKILL');
  };

  constructor() {
    process.once('exit', this.killAll);
  }

  start(options: SpawnPinned): Started {
    const stdio: SpawnOptions['stdio'] = [options.stdin ?? 'ignore', options.stdout ?? 'pipe', 'pipe'];
    if (options.ipc) stdio.push('ipc');
    const child = spawn('taskset', ['-c', String(options.cpu), options.command, ...options.args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio,
      detached: options.ownSession ?? false,
    });
    if (child.pid === undefined) throw new Error(`${options.name}: could not start ${options.command}`);
    let stderr = '';
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr = (stderr + chunk).slice(-4000);
    });
    const started: Started = { name: options.name, pid: child.pid, child, stderr: () => stderr };
    this.children.add(started);
    child.once('exit', () => this.children.delete(started));
    return started;
  }

  /** SIGTERM to everything still running, SIGKILL after `graceMs`; resolves when all have exited. */
  async stopAll(graceMs = 3_000): Promise<void> {
    const running = [...this.children];
    await Promise.all(running.map((started) => stop(started.child, graceMs)));
    process.removeListener('exit', this.killAll);
  }
}

/** SIGTERM to one started process, SIGKILL after `graceMs`; resolves when it has exited. */
export function stopProcess(started: Started, graceMs = 15_000): Promise<void> {
  return stop(started.child, graceMs);
}

function stop(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** The first stdout line starting with `prefix` (without it); rejects if the process exits first. */
export function waitForLine(started: Started, prefix: string, timeoutMs: number): Promise<string> {
  const { child } = started;
  return new Promise((resolve, reject) => {
    if (!child.stdout) return reject(new Error(`${started.name}: stdout is not a pipe`));
    const lines = createInterface({ input: child.stdout });
    const timer = setTimeout(() => done(new Error(`${started.name}: no "${prefix}" line within ${timeoutMs} ms`)), timeoutMs);
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      done(new Error(`${started.name} exited (code ${code}, signal ${signal}) before it was ready: ${started.stderr().trim()}`));
    function done(error: Error | undefined, line?: string) {
      clearTimeout(timer);
      child.off('exit', onExit);
      lines.removeAllListeners('line');
      // Keep draining stdout so a chatty child never blocks on a full pipe.
      child.stdout?.resume();
      if (error) reject(error);
      else resolve(line!);
    }
    lines.on('line', (line) => {
      if (line.startsWith(prefix)) done(undefined, line.slice(prefix.length));
    });
    child.once('exit', onExit);
  });
}

/**
 * Polls until `probe` resolves true (a gateway answering its first query correctly). No fixed
 * sleep: it retries as soon as the previous attempt failed, with a short pause between attempts.
 */
export async function waitUntil(what: string, probe: () => Promise<boolean>, timeoutMs: number, started?: Started): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  let wrongAnswers = 0;
  while (Date.now() < deadline) {
    if (started && (started.child.exitCode !== null || started.child.signalCode !== null)) {
      throw new Error(`${what} exited before it was ready: ${started.stderr().trim()}`);
    }
    try {
      if (await probe()) return;
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
      // Refused connections mean "still starting"; a process that answers, but wrongly, a few
      // times in a row is not going to become right by waiting.
      if (error instanceof WrongAnswer && ++wrongAnswers >= 5) throw new Error(`${what} answers wrongly: ${last}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${what} was not ready within ${timeoutMs} ms${last ? ` (last error: ${last})` : ''}${started ? `; stderr: ${started.stderr().trim()}` : ''}`);
}

/** A free TCP port on loopback, found by letting the OS pick one. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Thrown by a readiness probe that got an answer, but not the expected one. */
export class WrongAnswer extends Error {}

/**
 * Sets the niceness of every thread of `pid` (Linux nice is per thread; a thread started later
 * takes its creator's). Below 0 needs root: returns false when refused, and the caller says so.
 */
export function reniceAll(pid: number, niceness: number): boolean {
  try {
    for (const thread of readdirSync(`/proc/${pid}/task`)) execFileSync('renice', ['-n', String(niceness), '-p', thread], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * Gives a process started with `ownSession` a higher share of the CPU than the machine's other
 * sessions: its autogroup's nice (what the scheduler weighs it by against other sessions, when
 * autogroup scheduling is on) and every thread's. Needs root; false when refused.
 */
export function prioritise(pid: number, niceness: number): boolean {
  try {
    if (existsSync(`/proc/${pid}/autogroup`)) writeFileSync(`/proc/${pid}/autogroup`, String(niceness));
  } catch {
    return false;
  }
  return reniceAll(pid, niceness);
}
