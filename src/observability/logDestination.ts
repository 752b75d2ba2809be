import { fstatSync, statSync } from 'node:fs';
import { pino } from 'pino';

export interface LogDestinationOptions {
  /** A file to append to, or a file descriptor. @default 1 (stdout) */
  dest?: string | number;
  /**
   * Bytes gathered before a write, below sonic-boom's 16 KiB `maxWrite`.
   * @default 12 KiB (about 30 access-log lines): a write costs the event loop more than a line
   * does (the profile of scenario (c) put 4 KiB writes at ~40 µs a request), and whatever is
   * gathered is written within `periodicFlushMs` when traffic is low
   */
  minLength?: number;
  /** @default 250 ms */
  periodicFlushMs?: number;
  /**
   * Write on the event loop itself (`true`) or hand each write to libuv's pool (`false`).
   * @default true when `dest` is a regular file, false for a pipe, socket or terminal
   */
  sync?: boolean;
}

/**
 * Where the process's log lines go: sonic-boom (pino's own destination), lines gathered into
 * writes of `minLength`. Shutdown and a crash flush what is pending (`flushSync`); only a SIGKILL
 * can lose the last `periodicFlushMs` of lines.
 *
 * A regular file is written synchronously: a write to the page cache does not block for long,
 * and handing it to libuv's pool cost more than the write itself (a wake-up of a pool thread,
 * on the gateway's own core when it is pinned: measured ~36 µs against ~13 µs for a 12 KiB
 * write, and ~6 % of a small request's CPU with the access log on). A pipe, a socket or a
 * terminal (stdout under a container runtime or a shell) is written asynchronously, since a
 * reader that stops reading would otherwise stall the event loop.
 *
 * Lines are kept as bytes (sonic-boom's buffer mode), each line encoded once as it comes. In its
 * text mode sonic-boom appends each line to one growing string and measures that string's byte
 * length on every line, which flattens it: a copy of everything gathered so far, per line (by
 * estimate ~6 KB at 12 KiB writes, more than the line itself; `Buffer.byteLength` was 112 ms of
 * a profile of 17,500 lines, bench/README.md, "Speed work" 13).
 */
export function createLogDestination(options: LogDestinationOptions = {}): pino.DestinationStream {
  const dest = options.dest ?? 1;
  const destination = pino.destination({
    dest,
    sync: options.sync ?? isRegularFile(dest),
    minLength: options.minLength ?? 12 * 1024,
    periodicFlush: options.periodicFlushMs ?? 250,
    contentMode: 'buffer',
  });
  // pino writes strings; in buffer mode sonic-boom takes bytes.
  const writeBytes = destination.write as unknown as (chunk: Buffer) => boolean;
  destination.write = (line: string) => writeBytes.call(destination, Buffer.from(line));
  return destination;
}

function isRegularFile(dest: string | number): boolean {
  try {
    return (typeof dest === 'number' ? fstatSync(dest) : statSync(dest)).isFile();
  } catch {
    // A file that does not exist yet is created as a regular file.
    return typeof dest === 'string';
  }
}
