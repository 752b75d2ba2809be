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
    const started = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = started;
    await new Promise<void>((resolve, reject) => {
      let output = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      };
      started.stdout!.on('data', onData);
      started.stderr!.on('data', onData);
      started.once('error', (error) => {
        clearTimeout(timer);
        reject(new Error(`cannot run redis-server (is it installed?): ${error.message}`));
      });
      started.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited with ${code}: ${output}`));
      });
    });
  };
  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      running.once('exit', () => resolve());
      running.kill('SIGKILL');
    });
  };
  process.once('exit', () => child?.kill('SIGKILL'));

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
      clients.push(client);
      return client;
    },
    kill,
    restart: launch,
    stop,
    [Symbol.asyncDispose]: stop,
  };
}
