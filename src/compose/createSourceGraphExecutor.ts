import {
  Kind,
  parseType,
  type DocumentNode,
  type ExecutionResult,
  type FieldNode,
  type GraphQLSchema,
  type InlineFragmentNode,
  type OperationDefinitionNode,
} from 'graphql';
import type { ExecutionRequest, Executor } from '@graphql-tools/utils';
import { createGraphQLError } from '@graphql-tools/utils';
import { porticoError } from '../errors/index.js';
import type { EntityLookup } from './buildBffModel.js';

export interface SourceGraphOptions {
  /** The source's name, for errors. */
  name: string;
  /** The source's own schema (its names, not the BFF's renames). */
  schema: GraphQLSchema;
  lookups: ReadonlyMap<string, EntityLookup>;
  /**
   * Runs a document the source's own schema answers: the HTTP executor of a GraphQL source, a
   * local execution of a REST source's schema (whose resolvers batch through DataLoader per request).
   */
  run: Executor;
}

const LOOKUP_ALIAS = '__pq_lookup';
const KEYS_VARIABLE = '__pq_keys';

/**
 * A plain source as a subgraph of the BFF's virtual supergraph: root fields go to the source
 * unchanged, and an `_entities` fetch becomes the source's merge lookup
 * (`usersByIds(ids:)`, a REST source's `_productsByIds(ids:)`) over the representations' keys,
 * its answers read back in order. So one entity fetch of a plan is one lookup: one batched call
 * per key set, split by the REST source's `maxBatchSize`, exactly as stitching's merging does.
 */
export function createSourceGraphExecutor(options: SourceGraphOptions): Executor {
  const rewritten = new WeakMap<DocumentNode, { document: DocumentNode; keyField: string } | Error>();
  return (async (request: ExecutionRequest) => {
    const operation = request.document.definitions[0] as OperationDefinitionNode | undefined;
    const first = operation?.selectionSet.selections[0];
    if (first?.kind !== Kind.FIELD || first.name.value !== '_entities') return options.run(request);
    let lookup = rewritten.get(request.document);
    if (!lookup) rewritten.set(request.document, (lookup = lookupDocument(operation!, first, options)));
    if (lookup instanceof Error) return { errors: [lookup] };
    const { representations, ...variables } = (request.variables ?? {}) as { representations?: Record<string, unknown>[] };
    const keyField = lookup.keyField;
    const keys = (representations ?? []).map((representation) => representation[keyField]);
    const result = (await options.run({
      ...request,
      document: lookup.document,
      variables: { ...variables, [KEYS_VARIABLE]: keys },
    })) as ExecutionResult;
    const data = result.data as Record<string, unknown> | null | undefined;
    return {
      data: data ? { _entities: data[LOOKUP_ALIAS] ?? null } : data,
      ...(result.errors
        ? {
            errors: result.errors.map((error) =>
              error.path?.[0] === LOOKUP_ALIAS
                ? createGraphQLError(error.message, { ...(error.extensions ? { extensions: error.extensions } : {}), path: ['_entities', ...error.path.slice(1)] })
                : error,
            ),
          }
        : {}),
    } as ExecutionResult;
  }) as Executor;
}

function lookupDocument(
  operation: OperationDefinitionNode,
  entities: FieldNode,
  options: SourceGraphOptions,
): { document: DocumentNode; keyField: string } | Error {
  const fragment = entities.selectionSet?.selections[0] as InlineFragmentNode | undefined;
  const typeName = fragment?.typeCondition?.name.value;
  const lookup = typeName ? options.lookups.get(typeName) : undefined;
  const argument = lookup && options.schema.getQueryType()?.getFields()[lookup.field]?.args.find((arg) => arg.name === lookup.argument);
  if (!fragment || !lookup || !argument) {
    return porticoError('SUBGRAPH_ERROR', { details: { source: options.name } });
  }
  const document: DocumentNode = {
    kind: Kind.DOCUMENT,
    definitions: [
      {
        ...operation,
        variableDefinitions: [
          ...(operation.variableDefinitions ?? []).filter((definition) => definition.variable.name.value !== 'representations'),
          {
            kind: Kind.VARIABLE_DEFINITION,
            variable: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: KEYS_VARIABLE } },
            type: parseType(String(argument.type), { noLocation: true }),
          },
        ],
        selectionSet: {
          kind: Kind.SELECTION_SET,
          selections: [
            {
              kind: Kind.FIELD,
              alias: { kind: Kind.NAME, value: LOOKUP_ALIAS },
              name: { kind: Kind.NAME, value: lookup.field },
              arguments: [
                {
                  kind: Kind.ARGUMENT,
                  name: { kind: Kind.NAME, value: lookup.argument },
                  value: { kind: Kind.VARIABLE, name: { kind: Kind.NAME, value: KEYS_VARIABLE } },
                },
              ],
              selectionSet: fragment.selectionSet,
            },
          ],
        },
      },
    ],
  };
  return { document, keyField: lookup.keyField };
}
