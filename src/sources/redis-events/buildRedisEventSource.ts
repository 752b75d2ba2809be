import { parse, type DefinitionNode } from 'graphql';
import { Repeater } from 'graphql-yoga';
import type { SubschemaConfig } from '@graphql-tools/delegate';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { FilterRootFields } from '@graphql-tools/wrap';
import type { IResolvers } from '@graphql-tools/utils';
import { porticoError } from '../../errors/index.js';
import { expandChannel, parseChannelFields } from './channelDirective.js';

/** Where a Redis event source listens: the process's one subscriber connection (stores/pubsub). */
export interface EventChannels {
  /** Resolves once the channel is subscribed; the result unsubscribes. */
  subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>>;
}

export interface RedisEventSourceOptions {
  name: string;
  /** The source's SDL: `Subscription` fields with `@channel` (channelDirective.ts). */
  sdl: string;
  /** Resolved on the first subscription, so a BFF that never subscribes opens no connection. */
  channels: () => EventChannels;
  /**
   * Told about a message that is not a JSON object; it is skipped, since one bad publisher must
   * not end every client's subscription. @default ignored
   */
  onMalformed?: (channel: string) => void;
}

/** The placeholder root a schema without `Query` gets (graphql-js needs one); never stitched. */
const PLACEHOLDER_QUERY = '_redisEventSource';

/**
 * A backend that publishes JSON events on Redis pub/sub, without a GraphQL server, as a
 * stitching subschema: each `Subscription` field listens on its `@channel` (arguments fill the
 * template) and each message is one event, the field's value; the event's fields resolve from
 * the JSON as any object's do, and fields other sources add to its type are merged by stitching.
 *
 * Pub/sub keeps no backlog: an event published before the subscription reached Redis, or while the
 * connection was down, is not delivered. Clients that need every event reconcile by query.
 */
export function buildRedisEventSource(options: RedisEventSourceOptions): SubschemaConfig {
  const { name } = options;
  const { document, fields } = parseChannelFields(options.sdl, name);
  const definitions: DefinitionNode[] = [...document.definitions];
  const hasQuery = definitions.some((definition) => 'name' in definition && definition.name?.value === 'Query');
  if (!hasQuery) definitions.push(...parse(`type Query { ${PLACEHOLDER_QUERY}: Boolean }`).definitions);

  const subscription: Record<string, { subscribe: (parent: unknown, args: Record<string, unknown>) => AsyncIterable<unknown>; resolve: (event: unknown) => unknown }> = {};
  for (const field of fields) {
    subscription[field.fieldName] = {
      subscribe(_parent, args) {
        const expanded = expandChannel(field, args);
        if ('invalid' in expanded) {
          throw porticoError('BAD_USER_INPUT', {
            message: `Argument "${expanded.invalid}" may hold only letters, digits, "_" and "-".`,
            details: { argument: expanded.invalid },
          });
        }
        const { channel } = expanded;
        return new Repeater<unknown>(async (push, stop) => {
          const unsubscribe = await options.channels().subscribe(channel, (message) => {
            let event: unknown;
            try {
              event = JSON.parse(message);
            } catch {
              event = undefined;
            }
            if (typeof event !== 'object' || event === null || Array.isArray(event)) {
              options.onMalformed?.(channel);
              return;
            }
            // The consumer (the subscription policies' buffer) pulls at once; past the Repeater's
            // 1,024 pending pushes it throws, which drops the event rather than grow memory.
            push(event).catch(() => undefined);
          });
          await stop;
          await unsubscribe();
        });
      },
      resolve: (event) => event,
    };
  }
  const schema = makeExecutableSchema({
    typeDefs: { kind: document.kind, definitions },
    resolvers: { Subscription: subscription } as IResolvers,
  });
  return {
    name,
    schema,
    // Stitching never calls the placeholder, and no client can see it.
    ...(hasQuery ? {} : { transforms: [new FilterRootFields((operation, fieldName) => !(operation === 'Query' && fieldName === PLACEHOLDER_QUERY))] }),
  };
}
