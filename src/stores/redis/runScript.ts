import { createHash } from 'node:crypto';
import type { RedisClient } from './createRedisClient.js';

/** A Lua script and its SHA1, the name Redis caches it under. */
export interface RedisScript {
  readonly source: string;
  readonly sha1: string;
}

export function redisScript(source: string): RedisScript {
  return { source, sha1: createHash('sha1').update(source).digest('hex') };
}

/**
 * Runs `script` with one EVALSHA. A server that has not seen it (a restart or a failover empties
 * the script cache) answers NOSCRIPT, and the script is sent once with EVAL, which caches it.
 * `args` is the key count, the keys, then the other arguments, as EVALSHA takes them.
 */
export function runScript(client: RedisClient, script: RedisScript, args: [number, ...(string | number)[]]): Promise<unknown> {
  return client.evalsha(script.sha1, ...args).catch((error: unknown) => {
    if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
    return client.eval(script.source, ...args);
  });
}
