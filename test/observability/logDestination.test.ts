import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { openSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogDestination } from '../../src/observability/logDestination.js';

// The process's log destination (src/observability/logDestination.ts): lines gathered into large
// writes, kept as bytes. Every line must arrive whole, in order, its text intact, however the
// lines fall across writes.

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'portico-log-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const endOf = (destination: unknown) => (destination as { end(): void }).end();
const linesOf = (text: string) => text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as { n: number; msg: string; text?: string });

describe('the log destination', () => {
  it('writes every line whole and in order, multi-byte text included, across many writes', async () => {
    const file = path.join(dir, 'out.log');
    const destination = createLogDestination({ dest: file, minLength: 512 });
    const logger = pino({ level: 'info', base: null, timestamp: false }, destination);
    for (let n = 0; n < 2_000; n++) logger.info({ n, text: n % 3 === 0 ? 'naïve café — 東京 🚀' : 'plain' }, 'request');
    await new Promise<void>((flushed) => logger.flush(() => flushed()));
    const lines = linesOf(await readFile(file, 'utf8'));
    expect(lines.map((line) => line.n)).toEqual(Array.from({ length: 2_000 }, (_, n) => n));
    expect(lines[3]).toEqual({ level: 30, n: 3, text: 'naïve café — 東京 🚀', msg: 'request' });
    endOf(destination);
  });

  it('writes a regular file on the event loop, and a pipe through libuv\'s pool', async () => {
    const file = createLogDestination({ dest: path.join(dir, 'file.log') });
    expect((file as unknown as { sync: boolean }).sync).toBe(true);
    // A named pipe, opened for reading and writing so that opening it does not wait for a reader.
    const fifo = path.join(dir, 'fifo');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const pipe = createLogDestination({ dest: openSync(fifo, 'r+') });
    expect((pipe as unknown as { sync: boolean }).sync).toBe(false);
    // The destination owns its descriptor from here on: ending it closes it (and stops its flush
    // timer, which would otherwise write to a closed or reused descriptor).
    endOf(pipe);
    endOf(file);
  });

  it('holds lines until a write is worth it, and writes them at once on a synchronous flush (shutdown, crash)', async () => {
    const file = path.join(dir, 'held.log');
    const destination = createLogDestination({ dest: file, minLength: 16_000, periodicFlushMs: 60_000 });
    const logger = pino({ level: 'info', base: null, timestamp: false }, destination);
    await new Promise<void>((ready) => (destination as unknown as { once(event: string, done: () => void): void }).once('ready', ready));
    logger.info({ n: 1 }, 'held');
    expect(readFileSync(file, 'utf8')).toBe('');
    (destination as unknown as { flushSync(): void }).flushSync();
    expect(linesOf(readFileSync(file, 'utf8'))).toEqual([{ level: 30, n: 1, msg: 'held' }]);
    endOf(destination);
  });
});
