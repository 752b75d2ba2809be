import { stitchSchemas } from '@graphql-tools/stitch';
import type { SubschemaConfig } from '@graphql-tools/delegate';
import { RenameObjectFields } from '@graphql-tools/wrap';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { LoadedBff } from '../config/loadConfig.js';
import { createResolverKit, resolveBffModule } from './resolverKit.js';
import { hideFromSchema } from './hideFromSchema.js';
import type { SourceRuntime } from './buildSourceRuntime.js';

/**
 * One BFF's schema: its sources stitched by type merging, plus the resolvers its team owns,
 * then its own slice of the graph (renames applied where the data comes from, hidden parts
 * pruned from the result so no query can reach them).
 */
export function composeBffSchema(bff: LoadedBff, runtimes: ReadonlyMap<string, SourceRuntime>): GraphQLSchema {
  const renames = Object.entries(bff.rename);
  const subschemas: SubschemaConfig[] = [];
  const bySource = new Map<string, SubschemaConfig>();
  const typeDefs: (string | DocumentNode)[] = [];
  let typeMergingOptions: Parameters<typeof stitchSchemas>[0]['typeMergingOptions'];

  for (const name of bff.sources) {
    const runtime = runtimes.get(name);
    if (!runtime) throw new Error(`BFF ${bff.name}: source "${name}" was not built`);
    for (const subschema of runtime.subschemas) {
      // A copy per BFF: renames are this BFF's view; the executor (and its pool) stays shared.
      const scoped: SubschemaConfig = renames.length
        ? { ...subschema, transforms: [...(subschema.transforms ?? []), renameFields(bff.rename)] }
        : { ...subschema };
      subschemas.push(scoped);
      if (!bySource.has(name) || runtime.primary === subschema) bySource.set(name, scoped);
    }
    if (runtime.typeDefs) typeDefs.push(runtime.typeDefs);
    if (runtime.typeMergingOptions) typeMergingOptions = runtime.typeMergingOptions;
  }

  const module = resolveBffModule(bff.resolverModule, bff.name);
  if (module.typeDefs) typeDefs.push(module.typeDefs);
  const resolvers =
    typeof module.resolvers === 'function' ? module.resolvers(createResolverKit(bySource)) : module.resolvers;

  const stitched = stitchSchemas({
    subschemas,
    typeDefs,
    ...(resolvers ? { resolvers } : {}),
    ...(typeMergingOptions ? { typeMergingOptions } : {}),
  });
  return hideFromSchema(stitched, bff.hide);
}

function renameFields(rename: Readonly<Record<string, string>>) {
  return new RenameObjectFields((typeName, fieldName) => rename[`${typeName}.${fieldName}`] ?? fieldName);
}
