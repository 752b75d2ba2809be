import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';

const repoRoot = path.resolve(import.meta.dirname, '../..');
const MAIN = path.join(repoRoot, 'src', 'main.ts');

export interface CliProcess extends AsyncDisposable {
  child: ChildProcess;
  /** Resolves with the first stdout line matching `pattern`; rejects if the process exits first. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  /** Resolves when the process exits, with its code and everything it wrote to stderr. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }>;
  stop(): Promise<void>;
}

/** Runs `portico <args>` as a real process, the way an operator would. */
export function runPortico(args: string[], env: Record<string, string> = {}): CliProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, ...args], {
    cwd: repoRoot,
    // Demo mode unless a test says otherwise: test configs carry no identity-headers secret.
    env: { ...process.env, LOG_LEVEL: 'warn', PORTICO_DEMO: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const lines: string[] = [];
  const waiters = new Set<(line: string) => void>();
  createInterface({ input: child.stdout! }).on('line', (line) => {
    stdout += `${line}\n`;
    lines.push(line);
    for (const waiter of waiters) waiter(line);
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, stderr, stdout })),
  );
  process.once('exit', () => child.kill('SIGKILL'));

  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  return {
    child,
    exited,
    waitForLine(pattern, timeoutMs = 30_000) {
      const seen = lines.map((line) => line.match(pattern)).find(Boolean);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs);
        const waiter = (line: string) => {
          const match = line.match(pattern);
          if (!match) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(match);
        };
        waiters.add(waiter);
        void exited.then(({ code }) => {
          clearTimeout(timer);
          reject(new Error(`portico exited with ${code} before printing ${pattern}; stderr: ${stderr}`));
        });
      });
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
