import { execFile, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Cluster, Redis } from 'ioredis';
import type { RedisConfig } from '../../src/config/redisSchema.js';
import { freePort, killProcess, redisConfig, spawnRedis } from './redis.js';

const run = promisify(execFile);

/**
 * A URL nothing listens on (port 1 needs root to bind, and no test does). Topology configs use it
 * as their `url`, so a client that reaches the servers can only have been built from the
 * `sentinel` or `cluster` settings by the connection factory, never from the URL.
 */
export const DEAD_URL = 'redis://127.0.0.1:1';

interface Node {
  host: string;
  port: number;
}

export interface RedisClusterHandle {
  /** The three masters, each holding a third of the slots. */
  nodes: Node[];
  /** A root `redis` config for this cluster; its URL is dead (`DEAD_URL`) unless given. */
  config(settings?: Partial<RedisConfig>): RedisConfig;
  /** A fresh ioredis Cluster client for assertions (closed by `stop`). */
  client(): Cluster;
  /** The keys matching `pattern` that the node on `port` holds. */
  nodeKeys(port: number, pattern: string): Promise<string[]>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A real 3-master Redis Cluster on free loopback ports (`redis-server --cluster-enabled yes`,
 * joined by `redis-cli --cluster create`), resolved once every node reports `cluster_state:ok`.
 * No replicas and no persistence; its node files live in a temp dir removed by `stop`.
 */
export async function startRedisCluster(): Promise<RedisClusterHandle> {
  const dir = await mkdtemp(join(tmpdir(), 'portico-cluster-'));
  const children: ChildProcess[] = [];
  const clients: (Redis | Cluster)[] = [];
  const stop = async () => {
    for (const client of clients) client.disconnect();
    await Promise.all(children.map(killProcess));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const ports = await distinctFreePorts(3);
    const nodes = ports.map((port) => ({ host: '127.0.0.1', port }));
    children.push(
      ...(await Promise.all(
        ports.map((port) =>
          spawnRedis('redis-server', [
            ...serverArgs(port, dir),
            ...['--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`, '--cluster-node-timeout', '2000'],
          ]),
        ),
      )),
    );
    await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes'], {
      timeout: 20_000,
    });
    // `--cluster create` returns once the nodes agree on the slots; each must also say so itself.
    await Promise.all(ports.map((port) => until(async (probe) => (await probe(port, ['cluster', 'info'])).includes('cluster_state:ok'))));
    return {
      nodes,
      config: (settings = {}) => redisConfig({ url: DEAD_URL, cluster: { nodes }, ...settings }),
      client() {
        const client = new Cluster(nodes, { redisOptions: { maxRetriesPerRequest: 1 } });
        clients.push(client);
        return client;
      },
      async nodeKeys(port, pattern) {
        const node = new Redis(port, '127.0.0.1');
        try {
          return await node.keys(pattern);
        } finally {
          node.disconnect();
        }
      },
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

export interface RedisSentinelHandle {
  /** The master's name the sentinels monitor. */
  name: string;
  sentinels: Node[];
  /** The port of the master now (the replica's after a failover). */
  masterPort(): Promise<number>;
  /** A root `redis` config for this group; its URL is dead (`DEAD_URL`) unless given. */
  config(settings?: Partial<RedisConfig>): RedisConfig;
  /**
   * SIGKILLs the master process. Resolves with the time (Date.now) of the kill and a promise
   * that resolves with the time a sentinel announced the replica's promotion (`+switch-master`).
   */
  killMaster(): Promise<{ killedAt: number; promoted: Promise<number> }>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * A real Sentinel group on free loopback ports: one master, one replica and three
 * `redis-sentinel` processes (quorum 2). The sentinels are told about each other and the replica
 * in their config files, so they agree at once instead of after the 2 s hello rounds, and their
 * timeouts are short (a master is down after 1 s without answers), so a failover takes seconds.
 * Resolves once every sentinel knows the master, the replica and the other two sentinels.
 */
export async function startRedisSentinel(): Promise<RedisSentinelHandle> {
  const name = 'portico-test';
  const dir = await mkdtemp(join(tmpdir(), 'portico-sentinel-'));
  const children = new Map<string, ChildProcess>();
  const watchers: Redis[] = [];
  const holders: Server[] = [];
  const stop = async () => {
    for (const watcher of watchers) watcher.disconnect();
    for (const holder of holders) holder.close();
    await Promise.all([...children.values()].map(killProcess));
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const [masterPort, replicaPort, ...sentinelPorts] = await distinctFreePorts(5);
    // The first sync starts at once, not after diskless sync's default 5 s wait for more replicas.
    children.set('master', await spawnRedis('redis-server', [...serverArgs(masterPort!, dir), '--repl-diskless-sync-delay', '0']));
    children.set('replica', await spawnRedis('redis-server', [...serverArgs(replicaPort!, dir), '--replicaof', '127.0.0.1', String(masterPort)]));
    await until(async (probe) => (await probe(replicaPort!, ['info', 'replication'])).includes('master_link_status:up'));

    const ids = sentinelPorts.map(() => randomBytes(20).toString('hex'));
    await Promise.all(
      sentinelPorts.map(async (port, i) => {
        const file = join(dir, `sentinel-${port}.conf`);
        const others = sentinelPorts.flatMap((other, j) => (j === i ? [] : [`sentinel known-sentinel ${name} 127.0.0.1 ${other} ${ids[j]}`]));
        await writeFile(
          file,
          [
            `port ${port}`,
            'bind 127.0.0.1',
            `dir ${dir}`,
            `sentinel myid ${ids[i]}`,
            `sentinel monitor ${name} 127.0.0.1 ${masterPort} 2`,
            // Down after 1 s without an answer; a failover that stalls is retried after 2 s.
            `sentinel down-after-milliseconds ${name} 1000`,
            `sentinel failover-timeout ${name} 2000`,
            `sentinel parallel-syncs ${name} 1`,
            `sentinel known-replica ${name} 127.0.0.1 ${replicaPort}`,
            ...others,
            '',
          ].join('\n'),
        );
        children.set(`sentinel-${port}`, await spawnRedis('redis-sentinel', [file]));
      }),
    );
    await Promise.all(
      sentinelPorts.map((port) =>
        until(async (probe) => {
          const replicas = await probe(port, ['sentinel', 'replicas', name]);
          const sentinels = await probe(port, ['sentinel', 'sentinels', name]);
          return replicas.includes(String(replicaPort)) && sentinelPorts.every((other) => other === port || sentinels.includes(String(other)));
        }),
      ),
    );
    const sentinels = sentinelPorts.map((port) => ({ host: '127.0.0.1', port: port! }));
    return {
      name,
      sentinels,
      async masterPort() {
        const reply = await command(sentinelPorts[0]!, ['sentinel', 'get-master-addr-by-name', name]);
        return Number(reply.trim().split('\n')[1]);
      },
      config: (settings = {}) => redisConfig({ url: DEAD_URL, sentinel: { name, sentinels }, ...settings }),
      async killMaster() {
        const watcher = new Redis(sentinelPorts[0]!, '127.0.0.1');
        watchers.push(watcher);
        await watcher.subscribe('+switch-master');
        const promoted = new Promise<number>((resolve) => watcher.once('message', () => resolve(Date.now())));
        const killedAt = Date.now();
        await killProcess(children.get('master'));
        // Hold the dead master's port: a Redis another test starts on it meanwhile would answer
        // as the old master, and its replica (ours) would copy that server's data set over its own.
        holders.push(await holdPort(masterPort!));
        return { killedAt, promoted };
      },
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

function serverArgs(port: number, dir: string): string[] {
  return ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir];
}

/** Listens on `port` (loopback) and drops every connection: the port is taken, nothing answers. */
function holdPort(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

async function distinctFreePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

/** One `redis-cli` command against a loopback port; its reply as text. */
async function command(port: number, args: readonly string[]): Promise<string> {
  const { stdout } = await run('redis-cli', ['-p', String(port), ...args], { timeout: 5_000 });
  return stdout;
}

/**
 * Waits until `check` holds, asking again after each answer (redis-cli's own round trip paces
 * it; a start-up step, not a timed assertion). Gives up after 20 s with the last reply.
 */
async function until(check: (probe: typeof command) => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 20_000;
  let last: unknown;
  for (;;) {
    try {
      if (await check(command)) return;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`redis topology did not settle within 20 s${last ? `: ${String(last)}` : ''}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
