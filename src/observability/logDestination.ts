import { pino } from 'pino';

export interface LogDestinationOptions {
  /** A file to append to, or a file descriptor. @default 1 (stdout) */
  dest?: string | number;
  /**
   * Bytes gathered before a write, below sonic-boom's 16 KiB `maxWrite`. @default 12 KiB (about 30 access-log lines): handing a write to
   * libuv's pool costs the event loop more than a line does (the profile of scenario (c) put
   * 4 KiB writes at ~40 µs a request), and whatever is gathered is written within
   * `periodicFlushMs` when traffic is low
   */
  minLength?: number;
  /** @default 250 ms */
  periodicFlushMs?: number;
}

/**
 * Where the process's log lines go: sonic-boom (pino's own destination), asynchronous, lines
 * gathered into writes of `minLength`. Shutdown and a crash flush what is pending
 * (`flushSync`); only a SIGKILL can lose the last `periodicFlushMs` of lines.
 *
 * Lines are kept as bytes (sonic-boom's buffer mode), each line encoded once as it comes. In its
 * text mode sonic-boom appends each line to one growing string and measures that string's byte
 * length on every line, which flattens it: a copy of everything gathered so far, per line. At
 * 12 KiB writes that was ~6 KB of garbage per access-log line, more than the line itself, and
 * with pino's serialising the access log's largest cost (bench/README.md, "Speed work" 13).
 */
export function createLogDestination(options: LogDestinationOptions = {}): pino.DestinationStream {
  const destination = pino.destination({
    dest: options.dest ?? 1,
    sync: false,
    minLength: options.minLength ?? 12 * 1024,
    periodicFlush: options.periodicFlushMs ?? 250,
    contentMode: 'buffer',
  });
  // pino writes strings; in buffer mode sonic-boom takes bytes.
  const writeBytes = destination.write as unknown as (chunk: Buffer) => boolean;
  destination.write = (line: string) => writeBytes.call(destination, Buffer.from(line));
  return destination;
}
