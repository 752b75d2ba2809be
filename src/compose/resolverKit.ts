import { delegateToSchema, type SubschemaConfig } from '@graphql-tools/delegate';
import type { IResolvers } from '@graphql-tools/utils';
import type { GraphQLResolveInfo } from 'graphql';

/**
 * What a BFF team's resolvers module receives: its sources, and one way to call them that keeps
 * type merging, request scope and error paths intact.
 */
export interface ResolverKit {
  /**
   * Runs `fieldName` on a source's root type for the current field, selecting what the client
   * asked for. Other sources' fields on the result are merged as usual.
   * @example delegate('users', 'user', { id: args.userId }, context, info)
   */
  delegate(
    source: string,
    fieldName: string,
    args: Record<string, unknown>,
    context: unknown,
    info: GraphQLResolveInfo,
    operation?: 'query' | 'mutation',
  ): Promise<unknown>;
}

/** The shape of `bffs/<name>/resolvers.ts`. */
export interface BffResolverModule {
  /** SDL extending the stitched schema: new types, new fields on merged types. */
  typeDefs?: string;
  resolvers?: IResolvers | ((kit: ResolverKit) => IResolvers);
}

export function createResolverKit(sources: ReadonlyMap<string, readonly SubschemaConfig[]>): ResolverKit {
  return {
    delegate(source, fieldName, args, context, info, operation = 'query') {
      // A federation source has a subschema per subgraph: pick the one with the root field.
      const schema = sources.get(source)?.find((candidate) => {
        const root = operation === 'query' ? candidate.schema.getQueryType() : candidate.schema.getMutationType();
        return root?.getFields()[fieldName] !== undefined;
      });
      if (!schema) {
        return Promise.reject(new Error(`resolver delegates to ${source}.${fieldName}, which this BFF's sources lack`));
      }
      return Promise.resolve(
        delegateToSchema({ schema, operation: operation as never, fieldName, args, context: context as Record<string, unknown>, info }),
      );
    },
  };
}

export function resolveBffModule(module: Record<string, unknown> | undefined, bff: string): BffResolverModule {
  if (!module) return {};
  const { typeDefs, resolvers } = module;
  if (typeDefs !== undefined && typeof typeDefs !== 'string') {
    throw new Error(`BFF ${bff}: resolvers module must export typeDefs as a string`);
  }
  if (resolvers !== undefined && typeof resolvers !== 'object' && typeof resolvers !== 'function') {
    throw new Error(`BFF ${bff}: resolvers module must export resolvers as an object or a function of the kit`);
  }
  const result: BffResolverModule = {};
  if (typeDefs !== undefined) result.typeDefs = typeDefs;
  if (resolvers !== undefined) result.resolvers = resolvers as BffResolverModule['resolvers'] & object;
  return result;
}
