import {
  getDirectiveValues,
  getNamedType,
  isLeafType,
  isObjectType,
  type GraphQLArgument,
  type GraphQLDirective,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type GraphQLType,
  type ASTNode,
} from 'graphql';
import { parseTemplate, templateReferences, type Template, type TemplatePart, type TemplateValues } from './expandTemplate.js';

/** One field that calls an endpoint. Parent placeholders already name JSON properties. */
export interface RestFieldSpec {
  typeName: string;
  fieldName: string;
  path: Template;
  query: readonly { name: string; template: Template }[];
  /** Apollo Connectors only (translateConnectors.ts); `@rest` fields are GETs of the raw body. */
  method?: 'GET' | 'POST';
  /** Literal request headers of this field's calls. */
  headers?: Readonly<Record<string, string>>;
  /** The JSON request body, built from the field's arguments and parent. */
  body?: (values: TemplateValues) => unknown;
  /** Maps the response body to the field's value (the `selection`). */
  select?: (body: unknown, values: TemplateValues) => unknown;
}

/** The engine-generated root field and merge key of an entity (`@key`). */
export interface RestEntitySpec {
  typeName: string;
  /** GraphQL name of the key field, e.g. `id`. */
  keyField: string;
  /** JSON property holding the key (differs from `keyField` under `@map`). */
  keyJsonName: string;
  /** Named type of the key, e.g. `ID`, for the generated root field's argument. */
  keyTypeName: string;
  /** e.g. `_productsByIds`. */
  rootFieldName: string;
  /** e.g. `ids`. */
  rootArgumentName: string;
  /** Absent: the source only extends the entity, and resolves keys to stubs. */
  batch?: {
    path: string;
    param: string;
    maxSize?: number;
    /** Maps the whole response body to the list of items (a connector's `selection`). */
    select?: (body: unknown) => unknown;
    /** Items are matched to keys by their key field, in any order, rather than by position. */
    matchByKey?: boolean;
  };
}

export interface RestSpec {
  queryTypeName: string;
  fields: readonly RestFieldSpec[];
  /** typeName → fieldName → JSON property, for `@map`ped fields only. */
  maps: ReadonlyMap<string, ReadonlyMap<string, string>>;
  entities: readonly RestEntitySpec[];
}

/**
 * Reads and checks the `@rest`/`@map`/`@key`/`@batch` directives of a schema built from a REST
 * source's SDL plus `restDirectiveDefinitions`. Every mistake a reviewer could make in the SDL
 * fails here, at start-up, with the source, type and field in the message, rather than as a
 * wrong URL at request time.
 */
export function parseRestDirectives(schema: GraphQLSchema, source: string): RestSpec {
  const directive = (name: string): GraphQLDirective => {
    const found = schema.getDirective(name);
    if (!found) throw new Error(`${source}: the schema lacks the @${name} definition`);
    return found;
  };
  const restDirective = directive('rest');
  const mapDirective = directive('map');
  const keyDirective = directive('key');
  const batchDirective = directive('batch');

  const queryType = schema.getQueryType();
  if (!queryType) throw new Error(`${source}: the SDL defines no Query type`);
  const mutationType = schema.getMutationType();
  const subscriptionType = schema.getSubscriptionType();
  const rootTypes = new Set([queryType, mutationType, subscriptionType].filter((t) => t != null));
  for (const rootType of [mutationType, subscriptionType]) {
    if (rootType && Object.keys(rootType.getFields()).length > 0) {
      throw new Error(`${source}: ${rootType.name}: REST sources only read (GET); declare no ${rootType.name} fields`);
    }
  }

  const objectTypes = Object.values(schema.getTypeMap()).filter(
    (type): type is GraphQLObjectType => isObjectType(type) && !type.name.startsWith('__'),
  );

  // Pass 1: JSON names and entity keys, which field templates of pass 2 refer to.
  const maps = new Map<string, Map<string, string>>();
  const entities = new Map<string, RestEntitySpec>();
  const restFields = new Map<string, Record<string, unknown>>();
  for (const type of objectTypes) {
    for (const field of Object.values(type.getFields())) {
      const where = `${source}: ${type.name}.${field.name}`;
      const rest = valuesOf(restDirective, field.astNode ? [field.astNode] : [], where);
      const map = valuesOf(mapDirective, field.astNode ? [field.astNode] : [], where);
      if (rest && map) throw new Error(`${where}: @rest and @map cannot both apply; the @rest response is the value`);
      if (rest) restFields.set(`${type.name}.${field.name}`, rest);
      if (map) {
        const from = map.from;
        if (typeof from !== 'string' || from === '') throw new Error(`${where}: @map(from:) must name a JSON property`);
        let typeMaps = maps.get(type.name);
        if (!typeMaps) maps.set(type.name, (typeMaps = new Map()));
        typeMaps.set(field.name, from);
      }
    }
  }
  const jsonName = (typeName: string, fieldName: string) => maps.get(typeName)?.get(fieldName) ?? fieldName;

  for (const type of objectTypes) {
    const where = `${source}: ${type.name}`;
    const nodes: ASTNode[] = [type.astNode, ...type.extensionASTNodes].filter((n) => n != null);
    const key = valuesOf(keyDirective, nodes, where);
    const batch = valuesOf(batchDirective, nodes, where);
    if (batch && !key) throw new Error(`${where}: @batch needs @key on the same type, to know which field the keys are`);
    if (!key) continue;
    if (rootTypes.has(type)) throw new Error(`${where}: a root type cannot be an entity`);
    const keyField = String(key.fields).trim();
    const field = type.getFields()[keyField];
    if (!field) {
      throw new Error(`${where}: @key(fields: "${keyField}") must name one field of ${type.name}; compound keys are not supported`);
    }
    if (!isLeafType(getNamedType(field.type))) throw new Error(`${where}: @key field "${keyField}" must be a scalar or enum`);
    if (restFields.has(`${type.name}.${keyField}`)) throw new Error(`${where}: @key field "${keyField}" cannot be a @rest field`);
    const rootFieldName = entityRootFieldName(type.name, keyField);
    if (queryType.getFields()[rootFieldName]) {
      throw new Error(`${where}: Query.${rootFieldName} is generated for the entity; remove the field of that name`);
    }
    const entity: RestEntitySpec = {
      typeName: type.name,
      keyField,
      keyJsonName: jsonName(type.name, keyField),
      keyTypeName: getNamedType(field.type).name,
      rootFieldName,
      rootArgumentName: `${keyField}s`,
    };
    if (batch) {
      const path = batch.path;
      if (typeof path !== 'string' || !path.startsWith('/')) throw new Error(`${where}: @batch path must start with "/"`);
      if (/[{}]/.test(path)) throw new Error(`${where}: @batch path takes no placeholders; the keys go in "param"`);
      const param = batch.param;
      if (typeof param !== 'string' || param === '') throw new Error(`${where}: @batch param must name the query parameter`);
      entity.batch = { path, param };
      if (batch.maxSize !== undefined && batch.maxSize !== null) {
        if (typeof batch.maxSize !== 'number' || batch.maxSize < 1) throw new Error(`${where}: @batch maxSize must be at least 1`);
        entity.batch.maxSize = batch.maxSize;
      }
    } else {
      // A stub holds only the key, so every other field must be fetched from it.
      for (const other of Object.values(type.getFields())) {
        if (other.name !== keyField && !restFields.has(`${type.name}.${other.name}`)) {
          throw new Error(
            `${source}: ${type.name}.${other.name}: ${type.name} has @key but no @batch, so the source only extends it; ` +
              `the field needs @rest (or give the type @batch)`,
          );
        }
      }
    }
    entities.set(type.name, entity);
  }

  // Pass 2: endpoints.
  const fields: RestFieldSpec[] = [];
  for (const type of objectTypes) {
    for (const field of Object.values(type.getFields())) {
      const where = `${source}: ${type.name}.${field.name}`;
      const rest = restFields.get(`${type.name}.${field.name}`);
      if (!rest) {
        if (type === queryType) throw new Error(`${where}: a Query field needs @rest, or nothing could resolve it`);
        continue;
      }
      const context: TemplateContext = { where, type, field, isRoot: rootTypes.has(type), restFields, jsonName };
      const path = checkedTemplate(rest.path, 'path template', context);
      if (!path.source.startsWith('/')) throw new Error(`${where}: path template must start with "/"`);
      const query: { name: string; template: Template }[] = [];
      if (rest.query !== undefined && rest.query !== null) {
        if (typeof rest.query !== 'object' || Array.isArray(rest.query)) {
          throw new Error(`${where}: @rest query must be an object of parameter name to template, e.g. {page: "{args.page}"}`);
        }
        for (const [name, template] of Object.entries(rest.query as Record<string, unknown>)) {
          query.push({ name, template: checkedTemplate(template, `query parameter "${name}"`, context) });
        }
      }
      fields.push({ typeName: type.name, fieldName: field.name, path, query });
    }
  }

  return { queryTypeName: queryType.name, fields, maps, entities: [...entities.values()] };
}

interface TemplateContext {
  where: string;
  type: GraphQLObjectType;
  field: GraphQLField<unknown, unknown>;
  isRoot: boolean;
  restFields: ReadonlyMap<string, unknown>;
  jsonName(typeName: string, fieldName: string): string;
}

/** Parses a template, checks every placeholder and rewrites parent fields to JSON names. */
function checkedTemplate(raw: unknown, what: string, context: TemplateContext): Template {
  const { where, type, field } = context;
  if (typeof raw !== 'string') throw new Error(`${where}: ${what} must be a string`);
  let template: Template;
  try {
    template = parseTemplate(raw);
  } catch (error) {
    throw new Error(`${where}: ${what}: ${(error as Error).message}`);
  }
  for (const ref of templateReferences(template)) {
    if (ref.scope === 'args') {
      const arg = field.args.find((a: GraphQLArgument) => a.name === ref.name);
      if (!arg) throw new Error(`${where}: ${what} refers to unknown argument "${ref.name}"`);
      if (!isLeafType(getNamedType(arg.type))) {
        throw new Error(`${where}: ${what} refers to argument "${ref.name}", which is not a scalar or enum (or a list of them)`);
      }
      continue;
    }
    if (context.isRoot) throw new Error(`${where}: ${what} refers to {parent.${ref.name}}, but a root field has no parent`);
    const parentField = type.getFields()[ref.name];
    if (!parentField) throw new Error(`${where}: ${what} refers to unknown parent field "${ref.name}"`);
    if (!isLeafType(getNamedType(parentField.type as GraphQLType))) {
      throw new Error(`${where}: ${what} refers to parent field "${ref.name}", which is not a scalar or enum`);
    }
    // This also keeps templates of an extended-only entity to its key: its stubs hold nothing else,
    // and every other field of it must be a @rest field.
    if (context.restFields.has(`${type.name}.${ref.name}`)) {
      throw new Error(`${where}: ${what} refers to parent field "${ref.name}", which is fetched by @rest and not in the parent's JSON`);
    }
  }
  const parts: TemplatePart[] = template.parts.map((part) =>
    part.kind === 'value' && part.scope === 'parent' ? { ...part, name: context.jsonName(type.name, part.name) } : part,
  );
  return { source: template.source, parts };
}

/** Argument values of `directive` on the first of `nodes` that carries it; throws if several do. */
function valuesOf(directive: GraphQLDirective, nodes: readonly ASTNode[], where: string): Record<string, unknown> | undefined {
  let found: Record<string, unknown> | undefined;
  for (const node of nodes) {
    let values: Record<string, unknown> | undefined;
    try {
      values = getDirectiveValues(directive, node as Parameters<typeof getDirectiveValues>[1]);
    } catch (error) {
      throw new Error(`${where}: @${directive.name}: ${(error as Error).message}`);
    }
    if (values === undefined) continue;
    if (found) throw new Error(`${where}: @${directive.name} appears more than once`);
    found = values;
  }
  return found;
}

/** The generated root field completing an entity by key, e.g. `_productsByIds`. */
export function entityRootFieldName(typeName: string, keyField: string): string {
  const lower = typeName.charAt(0).toLowerCase() + typeName.slice(1);
  const upper = keyField.charAt(0).toUpperCase() + keyField.slice(1);
  return `_${lower}sBy${upper}s`;
}
