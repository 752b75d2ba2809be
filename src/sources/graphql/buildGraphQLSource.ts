import { buildSchema } from 'graphql';
import type { MergedTypeConfig, SubschemaConfig } from '@graphql-tools/delegate';
import type { Executor } from '@graphql-tools/utils';

export interface GraphQLSourceOptions {
  name: string;
  /** The source's SDL from schemas/: start-up never depends on the upstream being up. */
  sdl: string;
  executor: Executor;
  /** Types this source resolves by a list of keys, for merging with other sources. */
  merge: Readonly<Record<string, { key: string; field: string; argument: string }>>;
}

/** A plain GraphQL upstream as a stitching subschema, merged with others through key lookups. */
export function buildGraphQLSource(options: GraphQLSourceOptions): SubschemaConfig {
  const schema = buildSchema(options.sdl);
  const merge: Record<string, MergedTypeConfig> = {};
  for (const [typeName, byKey] of Object.entries(options.merge)) {
    const field = schema.getQueryType()?.getFields()[byKey.field];
    if (!field) {
      throw new Error(`${options.name}: merge.${typeName}: the schema has no Query.${byKey.field}`);
    }
    merge[typeName] = {
      selectionSet: `{ ${byKey.key} }`,
      fieldName: byKey.field,
      key: (parent: Record<string, unknown>) => parent[byKey.key],
      argsFromKeys: (keys: readonly unknown[]) => ({ [byKey.argument]: keys }),
    };
  }
  return { name: options.name, schema, executor: options.executor, merge };
}
