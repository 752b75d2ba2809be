import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { redisSchema, type RedisConfig } from '../../src/config/redisSchema.js';

export interface RedisHandle {
  url: string;
  port: number;
  /** A fresh ioredis client (closed by `stop`). */
  client(): Redis;
  /** Stops the server but keeps the port, so `restart` brings "the same Redis" back. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A root `redis` config as a user writes it, validated (defaults filled in) by the real schema.
 * Stores take this, never a URL: the one connection factory builds their clients from it.
 */
export function redisConfig(settings: { url: string } & Partial<RedisConfig>): RedisConfig {
  return redisSchema.parse(settings) as RedisConfig;
}

/** A free TCP port on loopback, found by letting the OS pick one. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Starts a real `redis-server` (the Debian package; .ci/run installs it) on a free loopback
 * port, with persistence off so nothing is written to disk.
 */
export async function startRedis(): Promise<RedisHandle> {
  const port = await freePort();
  const clients: Redis[] = [];
  let child: ChildProcess | undefined;

  const launch = async () => {
    child = await spawnRedis('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
  };
  const kill = () => killProcess(child);
  await launch();
  const stop = async () => {
    for (const client of clients) client.disconnect();
    await kill();
  };
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    client() {
      const client = new Redis(port, '127.0.0.1', { lazyConnect: false, maxRetriesPerRequest: 1 });
      // Tests that stop the server see its failures through their commands; without a listener
      // ioredis prints every reconnect attempt's error as unhandled.
      client.on('error', () => {});
      clients.push(client);
      return client;
    },
    kill,
    restart: launch,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

// Every server this test process started, killed when it exits however the tests end.
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Runs `redis-server` or `redis-sentinel` (Debian packages redis-server, redis-sentinel; .ci/run
 * installs them) and resolves once it accepts connections. The process is killed when the test
 * process exits, whatever happens to the test.
 */
export async function spawnRedis(command: 'redis-server' | 'redis-sentinel', args: readonly string[]): Promise<ChildProcess> {
  const started = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(started);
  started.once('exit', () => running.delete(started));
  await new Promise<void>((resolve, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`${command} did not start: ${output}`)), 10_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      // A sentinel prints no "ready" line; it listens by the time it has taken its master in hand.
      if (output.includes(command === 'redis-server' ? 'Ready to accept connections' : '+monitor master')) {
        clearTimeout(timer);
        resolve();
      }
    };
    started.stdout!.on('data', onData);
    started.stderr!.on('data', onData);
    started.once('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${command} (is it installed?): ${error.message}`));
    });
    started.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${command} exited with ${code}: ${output}`));
    });
  });
  // Keep draining the output, or a chatty server would block on a full pipe.
  started.stdout!.resume();
  started.stderr!.resume();
  return started;
}

/** SIGKILLs a process started by `spawnRedis` and resolves once it is gone (at once if it is). */
export async function killProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}
