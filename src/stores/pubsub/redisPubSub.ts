import type { Cluster, Redis } from 'ioredis';
import type { PubSub } from './pubSub.js';

export interface RedisPubSubOptions {
  /** Publishes and keeps the counters. */
  client: Redis | Cluster;
  /**
   * A second connection: a Redis connection in subscriber mode can run nothing but (un)subscribe
   * commands, so it cannot be the one that publishes or reads counters.
   */
  subscriber: Redis | Cluster;
  /** Prefix of channels and counter keys. @default 'portico:' */
  keyPrefix?: string;
  /** Close both connections on `close()`: true when the caller made them for this store. @default false */
  ownsClients?: boolean;
}

/**
 * Pub/sub over the fleet's Redis. ioredis re-subscribes by itself after a reconnect; messages
 * published while an instance was disconnected are lost, which is why the fleet also resyncs
 * from the counters.
 */
export function createRedisPubSub(options: RedisPubSubOptions): PubSub {
  const { client, subscriber } = options;
  const prefix = options.keyPrefix ?? 'portico:';
  const listeners = new Map<string, Set<(message: string) => void>>();
  subscriber.on('message', (channel: string, message: string) => {
    for (const listener of listeners.get(channel) ?? []) listener(message);
  });
  return {
    async publish(channel, message) {
      await client.publish(prefix + channel, message);
    },
    async subscribe(channel, listener) {
      const key = prefix + channel;
      let set = listeners.get(key);
      const first = !set;
      if (!set) listeners.set(key, (set = new Set()));
      // Added before SUBSCRIBE is answered: a message that Redis delivers as soon as it has
      // subscribed (before the reply is read here) must find its listener.
      set.add(listener);
      if (first) await subscriber.subscribe(key);
      return async () => {
        set.delete(listener);
        if (set.size === 0) {
          listeners.delete(key);
          const sent = subscriber.unsubscribe(key);
          // With Redis unreachable the command waits in ioredis's queue until it comes back,
          // which at shutdown would be never: a gateway told to stop while Redis is down hung
          // there. Nothing is lost by not waiting: without a listener, this key's messages are
          // dropped above, and closing the connection ends the subscription anyway.
          if (subscriber.status === 'ready') await sent;
          else sent.catch(() => {});
        }
      };
    },
    async counter(name) {
      return Number((await client.get(`${prefix}${name}`)) ?? 0);
    },
    async bump(name) {
      return client.incr(`${prefix}${name}`);
    },
    async close() {
      listeners.clear();
      if (options.ownsClients) {
        client.disconnect();
        subscriber.disconnect();
      }
    },
  };
}
