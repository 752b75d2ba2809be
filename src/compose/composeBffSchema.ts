import { stitchSchemas } from '@graphql-tools/stitch';
import type { SubschemaConfig } from '@graphql-tools/delegate';
import { RenameObjectFields } from '@graphql-tools/wrap';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import { ConfigError, displayPath } from '../config/configError.js';
import type { LoadedBff } from '../config/loadConfig.js';
import { createResolverKit, resolveBffModule } from './resolverKit.js';
import { hideFromSchema } from './hideFromSchema.js';
import type { SourceRuntime } from './buildSourceRuntime.js';
import { hideFederationInternals } from '../sources/federation/buildSupergraphSubschemas.js';
import { createQueryPlanner, type ExecutableSchema } from '../sources/federation/planner/queryPlanner.js';
import { createPlannerForBff } from './createPlannerForBff.js';

/**
 * One BFF's schema: its sources stitched by type merging, plus the resolvers its team owns,
 * then its own slice of the graph (renames applied where the data comes from, hidden parts
 * pruned from the result so no query can reach them). A supergraph-only BFF also gets the
 * query planner that executes it.
 */
export function composeBffSchema(bff: LoadedBff, runtimes: ReadonlyMap<string, SourceRuntime>): ExecutableSchema {
  const renames = Object.entries(bff.rename);
  const subschemas: SubschemaConfig[] = [];
  const bySource = new Map<string, SubschemaConfig[]>();
  const typeDefs: (string | DocumentNode)[] = [];
  let federation: SourceRuntime['stitching'];

  for (const name of bff.sources) {
    const runtime = runtimes.get(name);
    if (!runtime) throw new Error(`BFF ${bff.name}: source "${name}" was not built`);
    for (const subschema of runtime.subschemas) {
      // A copy per BFF: renames are this BFF's view; the executor (and its pool) stays shared.
      const scoped: SubschemaConfig = renames.length
        ? { ...subschema, transforms: [...(subschema.transforms ?? []), renameFields(bff.rename)] }
        : { ...subschema };
      subschemas.push(scoped);
      bySource.set(name, [...(bySource.get(name) ?? []), scoped]);
    }
    if (runtime.stitching) {
      if (federation) throw new Error(`BFF ${bff.name}: at most one federation source per BFF; compose them into one`);
      federation = runtime.stitching;
    }
  }

  const module = resolveBffModule(bff.resolverModule, bff.name);
  if (module.typeDefs) typeDefs.push(module.typeDefs);
  const resolvers =
    typeof module.resolvers === 'function' ? module.resolvers(createResolverKit(bySource)) : module.resolvers;

  const stitched = stitchSchemas({
    ...federation,
    subschemas,
    typeDefs: federation ? [federation.typeDefs, ...typeDefs] : typeDefs,
    ...(resolvers ? { resolvers } : {}),
  });
  let schema: GraphQLSchema;
  try {
    schema = hideFromSchema(hideFederationInternals(stitched), bff.hide);
  } catch (error) {
    // A hide entry naming nothing is a config mistake: report it against the BFF's file.
    throw new ConfigError(displayPath(bff.file), 'hide', (error as Error).message.replace(/^hide: /, ''));
  }
  if (bff.engine === 'stitch') return { schema };
  // A supergraph alone: the federation planner as is. Anything more (other sources, resolvers,
  // renames): the BFF planner, which plans over all of them (src/compose/createBffPlanner.ts).
  const only = bff.sources.length === 1 ? runtimes.get(bff.sources[0]!) : undefined;
  if (only?.planner && !module.typeDefs && !resolvers && renames.length === 0) {
    return { schema, planner: createQueryPlanner(schema, { ...only.planner, ...bff.planner }) };
  }
  const planner = createPlannerForBff({
    bff,
    runtimes,
    schema,
    ...(module.resolvers ? { resolvers: (kit) => (typeof module.resolvers === 'function' ? module.resolvers(kit) : module.resolvers) } : {}),
  });
  return planner ? { schema, planner } : { schema };
}

function renameFields(rename: Readonly<Record<string, string>>) {
  return new RenameObjectFields((typeName, fieldName) => rename[`${typeName}.${fieldName}`] ?? fieldName);
}
