import { Kind, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import type { SubschemaConfig } from '@graphql-tools/delegate';
import { filterInternalFieldsAndTypes, getStitchingOptionsFromSupergraphSdl } from '@graphql-tools/federation';
import type { Executor } from '@graphql-tools/utils';

export interface SupergraphSubgraph {
  /** The name the subgraph was composed under (`join__graph(name:)`), e.g. `accounts`. */
  name: string;
  /** The URL written in the supergraph (`join__graph(url:)`). */
  url: string;
}

export interface SupergraphSubschemasOptions {
  supergraphSdl: string | DocumentNode;
  /**
   * The executor for one subgraph. Called once per subgraph while building, so each subgraph
   * gets its own decorated executor (pool, deadline, breaker) keyed by its composed name.
   */
  executorFor(subgraph: SupergraphSubgraph): Executor;
}

/** Everything `stitchSchemas` needs for the supergraph, in the shape it takes. */
export type SupergraphStitchingOptions = ReturnType<typeof getStitchingOptionsFromSupergraphSdl>;

export interface SupergraphSubschemas extends SupergraphStitchingOptions {
  subschemas: SubschemaConfig[];
  /** The subgraphs the supergraph names, in `join__Graph` order. */
  subgraphs: SupergraphSubgraph[];
}

/**
 * Turns a supergraph into stitching subschemas that call subgraphs through our executors.
 *
 * Spread the result into `stitchSchemas` (alongside other subschemas if needed), then pass the
 * stitched schema through `hideFederationInternals`:
 * ```ts
 * const { subgraphs, ...federation } = buildSupergraphSubschemas({ supergraphSdl, executorFor });
 * const schema = hideFederationInternals(
 *   stitchSchemas({ ...federation, subschemas: [...federation.subschemas, usersSource] }),
 * );
 * ```
 * The supergraph's `typeMergingOptions` then apply to every subschema in that call. What that
 * means for plain subschemas: merge validation is off (composition already checked the federated
 * types, so conflicts between a plain source and the supergraph are not reported); where both
 * define the same field with different types, the supergraph's type wins; a field only the
 * plain source has (e.g. `User.name`) merges as usual.
 */
export function buildSupergraphSubschemas(options: SupergraphSubschemasOptions): SupergraphSubschemas {
  const document =
    typeof options.supergraphSdl === 'string' ? parse(options.supergraphSdl) : options.supergraphSdl;
  const subgraphs = subgraphsOf(document);
  // The library keys subgraphs by their join__Graph enum value (ACCOUNTS), while people, config
  // and logs know them by the composed name (accounts); translate once here.
  const byEnumValue = new Map(subgraphs.map((subgraph) => [subgraph.enumValue, subgraph]));
  // A subgraph can yield several subschemas (the library splits off conflicting @key groups),
  // but it must get one executor, or it would get one breaker and retry budget per split.
  const executors = new Map<string, Executor>();
  const stitching = getStitchingOptionsFromSupergraphSdl({
    supergraphSdl: document,
    // Replacing the executor, rather than handing the library a fetch, keeps every subgraph call
    // on our keep-alive pool and our request-scoped headers (x-request-id, identity, deadline).
    // The library still builds its own HTTP executor first; it is never called.
    onSubschemaConfig(config) {
      const subgraph = byEnumValue.get(config.name);
      const resolved = { name: subgraph?.name ?? config.name, url: config.endpoint };
      config.name = resolved.name;
      let executor = executors.get(resolved.name);
      if (!executor) {
        executor = options.executorFor(resolved);
        executors.set(resolved.name, executor);
      }
      config.executor = executor;
    },
  });
  return {
    ...stitching,
    subgraphs: subgraphs.map(({ name, url }) => ({ name, url })),
  };
}

/**
 * Removes what only the gateway's planning needs (`_entities`, `_Any`, `join__*` types and
 * directives) and everything marked `@inaccessible`, so clients can neither see nor query it.
 * Apply it to the result of the `stitchSchemas` call that included the supergraph subschemas.
 */
export function hideFederationInternals(schema: GraphQLSchema): GraphQLSchema {
  return filterInternalFieldsAndTypes(schema);
}

function subgraphsOf(document: DocumentNode): (SupergraphSubgraph & { enumValue: string })[] {
  const subgraphs: (SupergraphSubgraph & { enumValue: string })[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== 'join__Graph') continue;
    for (const value of definition.values ?? []) {
      const joinGraph = value.directives?.find((directive) => directive.name.value === 'join__graph');
      let name = value.name.value;
      let url = '';
      for (const argument of joinGraph?.arguments ?? []) {
        if (argument.value.kind !== Kind.STRING) continue;
        if (argument.name.value === 'name') name = argument.value.value;
        if (argument.name.value === 'url') url = argument.value.value;
      }
      subgraphs.push({ enumValue: value.name.value, name, url });
    }
  }
  return subgraphs;
}
