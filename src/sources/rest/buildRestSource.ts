import {
  buildASTSchema,
  getNullableType,
  isListType,
  isNonNullType,
  isObjectType,
  parse,
  visit,
  type DefinitionNode,
  type DocumentNode,
  type GraphQLFieldResolver,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { MergedTypeConfig, SubschemaConfig } from '@graphql-tools/delegate';
import type { IResolvers } from '@graphql-tools/utils';
import { porticoError } from '../../errors/index.js';
import type { HttpCall } from '../../transport/httpClient.js';
import { createRestLoaders, type RestBatchEndpoint, type RestResponse } from './createRestLoaders.js';
import { expandTemplate, type TemplateValues } from './expandTemplate.js';
import { parseRestDirectives, type RestFieldSpec, type RestSpec } from './parseRestDirectives.js';
import { restDirectiveDocument, restDirectiveNames } from './restDirectives.js';
import { unpathMergedErrors } from './unpathMergedErrors.js';
import { isConnectorSchema, translateConnectors } from './translateConnectors.js';

export interface RestSourceOptions {
  /** Source name, for errors and logs. */
  name: string;
  /** The SDL text (contents of schemas/<name>.graphql). */
  sdl: string;
  /** e.g. http://127.0.0.1:4103 */
  baseUrl: string;
  http: HttpCall;
  /**
   * Upstream calls of one request to this source in flight at once. Per-id endpoints (inventory
   * has no batch endpoint) turn a 50-item list into 50 calls; 8 keeps one request from taking
   * more than 8 of the pool's 64 sockets per origin, so a few big queries cannot starve the
   * rest, while 50 calls still finish in about 7 round trips.
   * @default 8
   */
  maxConcurrency?: number;
  /**
   * Keys per batch-endpoint call; bigger batches are split. `@batch(maxSize:)` in the SDL states
   * the upstream's own limit, and the smaller of the two applies. 100 matches the demo products
   * API and keeps the query string far below the 8 KB URL limit of common servers.
   * @default 100
   */
  maxBatchSize?: number;
  /**
   * The SDL's file as the operator names it, for start-up errors of an Apollo Connectors schema
   * (docs/connectors.md), which name file, field and construct.
   * @default `<name> schema`
   */
  file?: string;
}

/**
 * A REST API described by SDL (see docs/rest-sources.md) as a stitching subschema: a local
 * executable schema whose resolvers call the upstream through `http`, plus the `merge` config
 * through which other sources' entities of the same `@key` are completed.
 *
 * Each `@key` type gets a generated root field, `_<type>sBy<Key>s(<key>s: [Key!]!): [Type]!`
 * (e.g. `_productsByIds(ids:)`), which stitching calls with a whole level's keys at once. It is
 * plumbing: the BFF should filter `_`-prefixed root fields out of what clients see.
 */
export function buildRestSource(options: RestSourceOptions): SubschemaConfig {
  const { name } = options;
  const maxConcurrency = options.maxConcurrency ?? 8;
  const maxBatchSize = options.maxBatchSize ?? 100;
  for (const [option, value] of [['maxConcurrency', maxConcurrency], ['maxBatchSize', maxBatchSize]] as const) {
    if (!Number.isInteger(value) || value < 1) throw new Error(`${name}: ${option} must be a positive integer, got ${value}`);
  }

  let document: DocumentNode;
  let annotated: GraphQLSchema;
  let spec: RestSpec;
  let sourceHeaders: Readonly<Record<string, string>> | undefined;
  try {
    document = parse(options.sdl);
  } catch (error) {
    throw new Error(`${name}: ${(error as Error).message}`);
  }
  if (isConnectorSchema(document)) {
    // Apollo Connectors SDL: translated into the same model, so everything below runs unchanged.
    const translated = translateConnectors(document, { source: name, file: options.file ?? `${name} schema` });
    ({ document, schema: annotated, spec, headers: sourceHeaders } = translated);
  } else {
    try {
      annotated = buildASTSchema({ kind: document.kind, definitions: [...restDirectiveDocument.definitions, ...document.definitions] });
    } catch (error) {
      throw new Error(`${name}: ${(error as Error).message}`);
    }
    spec = parseRestDirectives(annotated, name);
  }

  const batches = new Map<string, RestBatchEndpoint>();
  for (const entity of spec.entities) {
    if (!entity.batch) continue;
    batches.set(entity.typeName, {
      path: entity.batch.path,
      param: entity.batch.param,
      keyJsonName: entity.keyJsonName,
      maxSize: Math.min(maxBatchSize, entity.batch.maxSize ?? maxBatchSize),
      ...(entity.batch.select ? { select: entity.batch.select } : {}),
      ...(entity.batch.matchByKey ? { matchByKey: true } : {}),
    });
  }
  const loadersFor = createRestLoaders({
    source: name,
    baseUrl: options.baseUrl,
    http: options.http,
    maxConcurrency,
    batches,
    ...(sourceHeaders ? { headers: sourceHeaders } : {}),
  });

  const resolvers: Record<string, Record<string, GraphQLFieldResolver<unknown, unknown>>> = {};
  const resolversOf = (typeName: string) => (resolvers[typeName] ??= {});

  for (const [typeName, fields] of spec.maps) {
    for (const [fieldName, from] of fields) {
      resolversOf(typeName)[fieldName] = (parent) => (parent as Record<string, unknown>)[from];
    }
  }
  for (const field of spec.fields) {
    const parentType = annotated.getType(field.typeName);
    const fieldType = isObjectType(parentType) ? parentType.getFields()[field.fieldName]?.type : undefined;
    if (!fieldType) throw new Error(`${name}: ${field.typeName}.${field.fieldName}: field vanished while building`);
    resolversOf(field.typeName)[field.fieldName] = restFieldResolver(name, field, fieldType, loadersFor);
  }

  const merge: Record<string, MergedTypeConfig> = {};
  const generated: string[] = [];
  for (const entity of spec.entities) {
    const { typeName, keyField, keyJsonName, rootFieldName, rootArgumentName } = entity;
    generated.push(`${rootFieldName}(${rootArgumentName}: [${entity.keyTypeName}!]!): [${typeName}]!`);
    resolversOf(spec.queryTypeName)[rootFieldName] = entity.batch
      ? (_parent, args: Record<string, unknown>, context) =>
          loadersFor(context).entities(typeName).loadMany(args[rootArgumentName] as unknown[])
      : // The source only extends this entity: the key is all it needs to fetch its own fields.
        (_parent, args: Record<string, unknown>) =>
          (args[rootArgumentName] as unknown[]).map((key) => ({ [keyJsonName]: key }));
    merge[typeName] = {
      selectionSet: `{ ${keyField} }`,
      fieldName: rootFieldName,
      key: (parent: Record<string, unknown>) => parent[keyField],
      argsFromKeys: (keys: readonly unknown[]) => ({ [rootArgumentName]: keys }),
      valuesFromResults: unpathMergedErrors,
    };
  }

  const typeDefs: DefinitionNode[] = [...stripRestDirectives(document).definitions];
  if (generated.length > 0) {
    typeDefs.push(...parse(`extend type ${spec.queryTypeName} {\n  ${generated.join('\n  ')}\n}`).definitions);
  }
  const schema = makeExecutableSchema({
    typeDefs: { kind: document.kind, definitions: typeDefs },
    resolvers: resolvers as IResolvers,
  });
  return { name, schema, merge };
}

function restFieldResolver(
  source: string,
  field: RestFieldSpec,
  type: GraphQLOutputType,
  loadersFor: ReturnType<typeof createRestLoaders>,
): GraphQLFieldResolver<unknown, unknown> {
  const nullable = !isNonNullType(type);
  const expected = isListType(getNullableType(type)) ? 'list' : isObjectType(getNullableType(type)) ? 'object' : 'leaf';
  const notFound = () => {
    if (nullable) return null;
    throw porticoError('SUBGRAPH_ERROR', { details: { source, upstreamStatus: 404 } });
  };

  return async (parent, args: Record<string, unknown>, context) => {
    const values: TemplateValues = { args, parent: (parent ?? {}) as Record<string, unknown> };
    const path = expandTemplate(field.path, values, 'path');
    if (path === null) return notFound();
    const params: string[] = [];
    for (const { name, template } of field.query) {
      const value = expandTemplate(template, values, 'query');
      if (value !== null) params.push(`${encodeURIComponent(name)}=${value}`);
    }
    const pathAndQuery = params.length > 0 ? `${path}?${params.join('&')}` : path;
    const response: RestResponse =
      field.method === undefined && field.headers === undefined
        ? await loadersFor(context).get(pathAndQuery)
        : await loadersFor(context).request(pathAndQuery, {
            ...(field.method ? { method: field.method } : {}),
            ...(field.headers ? { headers: field.headers } : {}),
            ...(field.body ? { body: field.body(values) } : {}),
          });
    if (!response.found) return notFound();
    const body = field.select ? field.select(response.body, values) : response.body;
    const fits =
      body === null ||
      (expected === 'list' && Array.isArray(body)) ||
      (expected === 'object' && typeof body === 'object' && !Array.isArray(body)) ||
      (expected === 'leaf' && typeof body !== 'object');
    if (!fits) throw porticoError('SUBGRAPH_BAD_RESPONSE', { details: { source } });
    return body;
  };
}

/** The SDL as clients of the stitched schema see it: without the engine's directives. */
function stripRestDirectives(document: DocumentNode): DocumentNode {
  return visit(document, {
    Directive: (node) => (restDirectiveNames.has(node.name.value) ? null : undefined),
  });
}
