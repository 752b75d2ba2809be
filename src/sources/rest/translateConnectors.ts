import {
  buildASTSchema,
  getNamedType,
  isLeafType,
  isObjectType,
  Kind,
  visit,
  type ConstDirectiveNode,
  type DirectiveNode,
  type DocumentNode,
  type GraphQLObjectType,
  type GraphQLSchema,
  type ObjectTypeDefinitionNode,
  type ObjectTypeExtensionNode,
} from 'graphql';
import { ConfigError } from '../../config/configError.js';
import type { TemplateValues } from './expandTemplate.js';
import { entityRootFieldName, type RestEntitySpec, type RestFieldSpec, type RestSpec } from './parseRestDirectives.js';
import { applySelection } from './applySelection.js';
import { checkEntityField, checkSelection } from './checkSelection.js';
import type { UrlVariable } from './parseConnectorUrl.js';
import type { Selection } from './parseSelection.js';
import { argumentsOf, literalHeaders, objectOf, only, readConnect } from './readConnectDirective.js';

/** A REST source's SDL written with Apollo Connectors, as the REST engine's own model. */
export interface ConnectorTranslation {
  /** The SDL without the connect and link directives (and federation's `@key`), as clients see it. */
  document: DocumentNode;
  schema: GraphQLSchema;
  spec: RestSpec;
  /** `@source(http: { headers })`: literal headers sent on every call. */
  headers: Readonly<Record<string, string>>;
  /** `@source(http: { baseURL })`, for the docs and the operator; the config's `baseUrl` is what is called. */
  baseURL: string;
}

const CONNECT_SPEC = /^https:\/\/specs\.apollo\.dev\/connect\/v0\.\d+$/;
const FEDERATION_SPEC = /^https:\/\/specs\.apollo\.dev\/federation\/v2\.\d+$/;

/**
 * True when the SDL links the Apollo Connectors spec, or uses `@connect`/`@source` at all (then
 * `translateConnectors` says the link is missing, rather than the @rest engine calling them unknown).
 */
export function isConnectorSchema(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Directive(node) {
      const url = node.arguments?.find((argument) => argument.name.value === 'url');
      const linksConnect = node.name.value === 'link' && url?.value.kind === Kind.STRING && CONNECT_SPEC.test(url.value.value);
      if (linksConnect || node.name.value === 'connect' || node.name.value === 'source') found = true;
    },
  });
  return found;
}

/**
 * Reads `@source` and `@connect` (docs/connectors.md) into the model `@rest` produces
 * (`RestSpec`), so one engine runs both: the same DataLoaders, batching, concurrency limit,
 * transport (breaker, deadline, retries) and planner. Every construct outside the supported
 * subset is a `ConfigError` naming the schema file, the type or field, and the construct:
 * a connector either runs as Apollo documents it or does not start.
 */
export function translateConnectors(document: DocumentNode, options: { source: string; file: string }): ConnectorTranslation {
  const { file } = options;
  const fail = (key: string, construct: string, problem: string): never => {
    throw new ConfigError(file, key, `${construct}: ${problem}`);
  };

  // 1. The links: which names the connect directives go by here.
  const names = { connect: 'connect__connect', source: 'connect__source', key: 'federation__key' };
  let linked = false;
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const directive of definition.directives ?? []) {
      if (directive.name.value !== 'link') continue;
      const args = argumentsOf(directive);
      const url = String(args.url ?? '');
      const imports = Array.isArray(args.import) ? args.import : [];
      if (args.as !== undefined || args.for !== undefined) fail('@link', `@link(url: "${url}", ${args.as !== undefined ? 'as' : 'for'}:)`, 'not supported');
      const isConnect = CONNECT_SPEC.test(url);
      if (!isConnect && !FEDERATION_SPEC.test(url)) fail('@link', `@link(url: "${url}")`, 'only the connect and federation specs can be linked');
      if (isConnect) linked = true;
      for (const entry of imports) {
        const name = typeof entry === 'string' ? entry : String((entry as Record<string, unknown>).name ?? '');
        const as = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>).as : undefined;
        const local = String(as ?? name).replace(/^@/, '');
        if (isConnect && name === '@connect') names.connect = local;
        else if (isConnect && name === '@source') names.source = local;
        else if (!isConnect && name === '@key') names.key = local;
        else fail('@link', `import "${name}"`, `not supported (the connect spec's @connect and @source and federation's @key are)`);
      }
    }
  }
  if (!linked) fail('@link', '@link', 'the connect spec must be linked');

  // 2. @source: one upstream per REST source, so one breaker and one pool answer for it.
  const sources: { name: string; baseURL: string; headers: Record<string, string> }[] = [];
  for (const definition of document.definitions) {
    if (definition.kind !== Kind.SCHEMA_DEFINITION && definition.kind !== Kind.SCHEMA_EXTENSION) continue;
    for (const directive of definition.directives ?? []) {
      const name = directive.name.value;
      if (name === 'link') continue;
      if (name !== names.source) fail('schema', `@${name}`, 'not supported on the schema');
      const args = argumentsOf(directive);
      only(args, ['name', 'http'], (extra) => fail('@source', `@source(${extra}:)`, 'not supported'));
      const http = objectOf(args.http);
      only(http, ['baseURL', 'headers'], (extra) => fail('@source', `@source(http: { ${extra} })`, 'not supported'));
      if (typeof http.baseURL !== 'string') fail('@source', '@source(http: { baseURL })', 'a baseURL string is required');
      sources.push({
        name: String(args.name),
        baseURL: String(http.baseURL),
        headers: literalHeaders(http.headers, (construct, problem) => fail('@source', construct, problem)),
      });
    }
  }
  if (sources.length !== 1) {
    fail('@source', '@source', `exactly one is supported (found ${sources.length}): a Portico rest source is one upstream, with one baseUrl, pool and breaker`);
  }
  const upstream = sources[0]!;

  // 3. The schema without the connect directives, for types (and for what clients see).
  const strip = new Set([names.connect, names.source, names.key, 'link']);
  const connectNodes = new Map<string, ConstDirectiveNode>();
  const typeConnects = new Map<string, ConstDirectiveNode>();
  const keys = new Map<string, string>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.SCHEMA_DEFINITION || definition.kind === Kind.SCHEMA_EXTENSION) continue;
    const isObject = definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.OBJECT_TYPE_EXTENSION;
    const where = 'name' in definition && definition.name ? definition.name.value : 'schema';
    if (isObject) {
      const type = definition as ObjectTypeDefinitionNode | ObjectTypeExtensionNode;
      for (const directive of type.directives ?? []) {
        if (directive.name.value === names.connect) {
          if (typeConnects.has(where)) fail(where, '@connect', 'only one @connect per type is supported');
          typeConnects.set(where, directive);
        }
        if (directive.name.value === names.key) {
          const args = argumentsOf(directive);
          only(args, ['fields', 'resolvable'], (extra) => fail(where, `@key(${extra}:)`, 'not supported'));
          keys.set(where, String(args.fields ?? '').trim());
        }
        if (directive.name.value === names.source) fail(where, '@source', 'belongs on the schema');
      }
      for (const field of type.fields ?? []) {
        for (const directive of field.directives ?? []) {
          if (directive.name.value === names.connect) {
            const key = `${where}.${field.name.value}`;
            if (connectNodes.has(key)) fail(key, '@connect', 'only one @connect per field is supported');
            connectNodes.set(key, directive);
          }
        }
      }
      continue;
    }
    // On interfaces, unions, inputs, enums and their members: Connectors v0.4 and later.
    visit(definition, {
      Directive(node: DirectiveNode) {
        if (node.name.value === names.connect || node.name.value === names.source) {
          fail(where, `@${node.name.value} on ${definition.kind.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()}`, 'not supported');
        }
      },
    });
  }
  const stripped = visit(document, {
    Directive: (node) => (strip.has(node.name.value) ? null : undefined),
    SchemaExtension: (node) => (node.directives?.length === 0 && (node.operationTypes ?? []).length === 0 ? null : undefined),
  });
  let schema: GraphQLSchema;
  try {
    schema = buildASTSchema(stripped);
  } catch (error) {
    return fail('schema', 'SDL', (error as Error).message);
  }
  const queryType = schema.getQueryType();
  if (!queryType) return fail('Query', 'type Query', 'the SDL defines no Query type');
  for (const root of [schema.getMutationType(), schema.getSubscriptionType()]) {
    if (root && Object.keys(root.getFields()).length > 0) {
      fail(`${root.name}.${Object.keys(root.getFields())[0]}`, `${root.name} fields`, 'not supported: Portico REST sources only read');
    }
  }

  for (const fieldName of Object.keys(queryType.getFields())) {
    if (!connectNodes.has(`${queryType.name}.${fieldName}`)) {
      fail(`${queryType.name}.${fieldName}`, `${queryType.name} field without @connect`, 'nothing could resolve it');
    }
  }

  // 4. Field connectors.
  const fields: RestFieldSpec[] = [];
  const entityFields: { key: string; typeName: string }[] = [];
  for (const [key, directive] of connectNodes) {
    const [typeName, fieldName] = key.split('.') as [string, string];
    const type = schema.getType(typeName) as GraphQLObjectType;
    const field = type.getFields()[fieldName]!;
    const isRoot = type === queryType;
    const allowed = new Set<UrlVariable>(isRoot ? ['$args'] : ['$args', '$this']);
    const connect = readConnect(directive, key, allowed, isRoot, fail, upstream.name);
    if (connect.url.batch) fail(key, '$batch', 'only available in a @connect on a type');
    for (const ref of connect.url.path.parts.concat(connect.url.query.flatMap((q) => q.template.parts))) {
      if (ref.kind !== 'value') continue;
      if (ref.scope === 'args' && !field.args.some((arg) => arg.name === ref.name)) fail(key, `{$args.${ref.name}}`, 'names no argument of the field');
      if (ref.scope !== 'parent') continue;
      const parentField = type.getFields()[ref.name];
      if (!parentField) fail(key, `{$this.${ref.name}}`, `names no field of ${typeName}`);
      if (!isLeafType(getNamedType(parentField!.type))) fail(key, `{$this.${ref.name}}`, 'must name a scalar or enum field');
      // The parent object holds what its own selection mapped, never what another connector fetches.
      if (connectNodes.has(`${typeName}.${ref.name}`)) fail(key, `{$this.${ref.name}}`, 'names a field fetched by its own @connect');
    }
    checkSelection(connect.selection, field.type, key, fail);
    const selection = connect.selection;
    const spec: RestFieldSpec = {
      typeName,
      fieldName,
      path: connect.url.path,
      query: connect.url.query,
      method: connect.method,
      select: (body, values) => applySelection(selection, body, variablesOf(values)),
      ...(Object.keys(connect.headers).length > 0 ? { headers: connect.headers } : {}),
      ...(connect.body ? { body: bodyOf(connect.body) } : {}),
    };
    if (connect.entity) {
      checkEntityField(key, field.args.map((arg) => arg.name), getNamedType(field.type), fail);
      entityFields.push({ key, typeName: getNamedType(field.type).name });
    }
    fields.push(spec);
  }

  // 5. Type connectors: entities fetched by key, in batches.
  const entities: RestEntitySpec[] = [];
  for (const [typeName, directive] of typeConnects) {
    const type = schema.getType(typeName);
    if (!isObjectType(type) || type === queryType) return fail(typeName, '@connect', 'on a type must be on an object type other than Query');
    const connect = readConnect(directive, typeName, new Set(['$this', '$batch']), false, fail, upstream.name);
    const batch = connect.url.batch;
    if (!batch) {
      return fail(typeName, '@connect on a type without $batch', `not supported: give the batch endpoint, e.g. GET "/items?ids={$batch.id->joinNotNull(',')}"`);
    }
    if (connect.method !== 'GET') fail(typeName, `${connect.method} with $batch`, 'not supported: only GET batch endpoints');
    const keyField = type.getFields()[batch.key];
    if (!keyField || !isLeafType(getNamedType(keyField.type))) fail(typeName, `$batch.${batch.key}`, `must name a scalar or enum field of ${typeName}`);
    const declaredKey = keys.get(typeName);
    if (declaredKey !== undefined && declaredKey !== batch.key) {
      fail(typeName, `@key(fields: "${declaredKey}")`, `must be the one field $batch uses ("${batch.key}"); compound keys are not supported`);
    }
    checkSelection(connect.selection, type, typeName, fail);
    if (connect.selection.kind === 'object' ? !connect.selection.fields.some((f) => f.name === batch.key) : !connect.selection.sub?.fields.some((f) => f.name === batch.key)) {
      fail(typeName, 'selection', `must select the key field "${batch.key}", to match items to keys`);
    }
    const rootFieldName = entityRootFieldName(typeName, batch.key);
    if (queryType.getFields()[rootFieldName]) fail(`Query.${rootFieldName}`, rootFieldName, 'is generated for the entity; rename the field');
    const selection = connect.selection;
    entities.push({
      typeName,
      keyField: batch.key,
      keyJsonName: batch.key,
      keyTypeName: getNamedType(keyField!.type).name,
      rootFieldName,
      rootArgumentName: `${batch.key}s`,
      batch: {
        path: connect.url.path.source + (batch.staticQuery ? `?${batch.staticQuery}` : ''),
        param: batch.param,
        ...(connect.maxSize !== undefined ? { maxSize: connect.maxSize } : {}),
        select: (body) => applySelection(selection, body),
        matchByKey: true,
      },
    });
  }

  // Apollo resolves entities through such a field too; Portico completes entities through the
  // type's $batch connector only, so the field must have one beside it to mean the same.
  for (const { key, typeName } of entityFields) {
    if (!entities.some((entity) => entity.typeName === typeName)) {
      fail(key, '@connect(entity: true)', `not supported without a @connect with $batch on ${typeName}: Portico completes entities in batches only`);
    }
  }

  return {
    document: stripped,
    schema,
    spec: { queryTypeName: queryType.name, fields, maps: new Map(), entities },
    headers: upstream.headers,
    baseURL: upstream.baseURL,
  };
}

function variablesOf(values: TemplateValues) {
  return { $args: values.args, $this: values.parent };
}

function bodyOf(selection: Selection): (values: TemplateValues) => unknown {
  return (values) => applySelection(selection, {}, variablesOf(values));
}
