import {
  Kind,
  isAbstractType,
  isEnumType,
  isInputObjectType,
  isInterfaceType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  typeFromAST,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLNamedType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { CompiledParameter } from './coerceParameters.js';
import type { CompiledRoute } from './compileRoutes.js';
import { PARTIAL_ERRORS_HEADER } from './toRestResponse.js';

type JsonSchema = Record<string, unknown>;

export interface OpenApiSecurity {
  /** Bearer JWTs are accepted. */
  bearer: boolean;
  /** The API key header, when API keys are accepted. */
  apiKeyHeader?: string;
  /** Requests without credentials reach the pipeline (field authorization decides). */
  anonymous: boolean;
  /**
   * Partner client certificates (mTLS) are accepted: 'alone' as a credential of their own,
   * 'withApiKey' only together with an API key (`auth.partnerCredentials: 'both'`).
   */
  mutualTls?: 'alone' | 'withApiKey';
}

export interface OpenApiOptions {
  schema: GraphQLSchema;
  title: string;
  description?: string;
  /** The path version these routes share: `v1`. */
  version: string;
  security: OpenApiSecurity;
}

/**
 * The OpenAPI 3.1 document of one API version, derived from the routes and the BFF's schema:
 * parameters from the operations' variable types, each response schema from the operation's
 * selection set (exactly the fields the route returns, nullability included, so
 * `additionalProperties: false` holds), the accepted credentials, and every error response as
 * RFC 9457 problem details. Nothing in it is written by hand, so it cannot drift from the routes.
 */
export function buildOpenApi(routes: readonly CompiledRoute[], options: OpenApiOptions): Record<string, unknown> {
  const { schema, security } = options;
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const item = (paths[route.path.openApiPath] ??= {});
    item[route.method.toLowerCase()] = operationObject(route, schema);
  }

  const securitySchemes: Record<string, unknown> = {};
  const requirements: Record<string, string[]>[] = [];
  if (security.bearer) {
    securitySchemes.bearerAuth = { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'An access token from the identity provider.' };
    requirements.push({ bearerAuth: [] });
  }
  if (security.apiKeyHeader) {
    securitySchemes.apiKeyAuth = { type: 'apiKey', in: 'header', name: security.apiKeyHeader, description: 'A partner API key.' };
    requirements.push({ apiKeyAuth: [] });
  }
  if (security.mutualTls) {
    // OpenAPI 3.1's own scheme for a client certificate; entries of one requirement all apply.
    securitySchemes.mutualTLS = { type: 'mutualTLS', description: 'A partner client certificate from the partner CA, on the allow-list.' };
    const withKey = security.mutualTls === 'withApiKey' ? requirements.findIndex((requirement) => 'apiKeyAuth' in requirement) : -1;
    if (withKey === -1) requirements.push({ mutualTLS: [] });
    else requirements[withKey] = { mutualTLS: [], apiKeyAuth: [] };
  }
  // An empty requirement makes credentials optional, as they are when anonymous calls are allowed.
  if (requirements.length && security.anonymous) requirements.push({});

  const tags = [...new Set(routes.flatMap((route) => route.config.tags))].map((name) => ({ name }));
  return {
    openapi: '3.1.0',
    info: {
      title: options.title,
      version: options.version,
      ...(options.description ? { description: options.description } : {}),
    },
    ...(tags.length ? { tags } : {}),
    ...(requirements.length ? { security: requirements } : {}),
    paths,
    components: {
      schemas: { Problem: PROBLEM_SCHEMA },
      headers: HEADERS,
      responses: ERROR_RESPONSES,
      ...(Object.keys(securitySchemes).length ? { securitySchemes } : {}),
    },
  };
}

function operationObject(route: CompiledRoute, schema: GraphQLSchema): Record<string, unknown> {
  const { config } = route;
  const isGet = route.method === 'GET';
  const parameters = route.parameters.filter((p) => p.in !== 'body').map(parameterObject);
  const body = route.parameters.filter((p) => p.in === 'body');

  const rootType = route.operationType === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  const rootDefinition = rootType?.getFields()[route.rootField.name.value];
  if (!rootDefinition) throw new Error(`route ${route.path.template}: root field ${route.rootField.name.value} vanished from the schema`);
  // A null root field is answered 404, so the 200 body is never null.
  const bodySchema = outputSchemaOf(stripNull(rootDefinition.type), [route.rootField], schema, route.fragments);
  if (rootDefinition.description) bodySchema.description ??= rootDefinition.description;

  const okHeaders: Record<string, unknown> = { 'X-Request-Id': { $ref: '#/components/headers/RequestId' } };
  if (isGet) okHeaders.ETag = { $ref: '#/components/headers/ETag' };
  if (config.partial === 'data') okHeaders[PARTIAL_ERRORS_HEADER] = { $ref: '#/components/headers/PartialErrors' };
  if (config.deprecated) {
    okHeaders.Deprecation = { $ref: '#/components/headers/Deprecation' };
    if (config.deprecated.sunset) okHeaders.Sunset = { $ref: '#/components/headers/Sunset' };
    if (config.deprecated.successor) okHeaders.Link = { $ref: '#/components/headers/Link' };
  }

  const responses: Record<string, unknown> = {
    '200': { description: 'The operation’s result.', headers: okHeaders, content: { 'application/json': { schema: bodySchema } } },
  };
  if (isGet) {
    responses['304'] = {
      description: 'Not modified: the representation still has the ETag sent in If-None-Match.',
      headers: { ETag: { $ref: '#/components/headers/ETag' } },
    };
  }
  for (const status of ['400', '401', '403', '404']) responses[status] = { $ref: `#/components/responses/${status}` };
  if (body.length) for (const status of ['413', '415']) responses[status] = { $ref: `#/components/responses/${status}` };
  for (const status of ['429', '500', '502', '503']) responses[status] = { $ref: `#/components/responses/${status}` };

  const description = [
    config.description,
    `Runs the stored GraphQL ${route.operationType} \`${route.operationName}\`.`,
    config.deprecated?.sunset ? `Deprecated; answers until ${config.deprecated.sunset}.` : undefined,
    config.deprecated?.successor ? `Use ${config.deprecated.successor} instead.` : undefined,
  ]
    .filter(Boolean)
    .join('\n\n');

  const operation: Record<string, unknown> = {
    operationId: route.operationId,
    summary: config.summary,
    description,
    ...(config.tags.length ? { tags: config.tags } : {}),
    ...(config.deprecated ? { deprecated: true } : {}),
    ...(parameters.length ? { parameters } : {}),
    responses,
    'x-graphql-operation': route.operationName,
  };
  if (body.length) {
    const required = body.filter((p) => p.required).map((p) => p.name);
    operation.requestBody = {
      required: required.length > 0,
      content: {
        'application/json': {
          schema: {
            type: 'object',
            properties: Object.fromEntries(body.map((p) => [p.name, parameterSchema(p)])),
            ...(required.length ? { required } : {}),
            additionalProperties: false,
          },
          example: Object.fromEntries(body.map((p) => [p.name, p.example])),
        },
      },
    };
  }
  return operation;
}

function parameterObject(parameter: CompiledParameter): Record<string, unknown> {
  const inner = stripNull(parameter.type);
  return {
    name: parameter.name,
    in: parameter.in,
    required: parameter.required,
    ...(parameter.description ? { description: parameter.description } : {}),
    schema: parameterSchema(parameter),
    // Repeated keys carry a list: `?status=PAID&status=SHIPPED`.
    ...(isListType(inner) ? { style: 'form', explode: true } : {}),
    example: parameter.example,
  };
}

function parameterSchema(parameter: CompiledParameter): JsonSchema {
  // Query and path parameters are absent rather than null; body properties may be null.
  const schema = parameter.in === 'body' ? inputSchema(parameter.type) : inputSchemaOf(stripNull(parameter.type));
  if (parameter.defaultValue !== undefined) schema.default = parameter.defaultValue;
  return schema;
}

function inputSchema(type: GraphQLInputType): JsonSchema {
  if (isNonNullType(type)) return inputSchemaOf(type.ofType);
  return nullable(inputSchemaOf(type));
}

function inputSchemaOf(type: GraphQLInputType): JsonSchema {
  if (isListType(type)) return { type: 'array', items: inputSchema(type.ofType) };
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields());
    const required = fields.filter((f) => isNonNullType(f.type) && f.defaultValue === undefined).map((f) => f.name);
    return withDescription(
      {
        type: 'object',
        properties: Object.fromEntries(fields.map((f) => [f.name, withDescription(inputSchema(f.type), f.description)])),
        ...(required.length ? { required } : {}),
        additionalProperties: false,
      },
      type.description,
    );
  }
  return leafSchema(type);
}

function outputSchema(
  type: GraphQLOutputType,
  nodes: readonly FieldNode[],
  schema: GraphQLSchema,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): JsonSchema {
  if (isNonNullType(type)) return outputSchemaOf(type.ofType, nodes, schema, fragments);
  return nullable(outputSchemaOf(type, nodes, schema, fragments));
}

function outputSchemaOf(
  type: GraphQLOutputType,
  nodes: readonly FieldNode[],
  schema: GraphQLSchema,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): JsonSchema {
  if (isListType(type)) return { type: 'array', items: outputSchema(type.ofType, nodes, schema, fragments) };
  if (isObjectType(type) || isInterfaceType(type) || isAbstractType(type)) {
    const selections = nodes.flatMap((node) => (node.selectionSet ? [node.selectionSet] : []));
    return withDescription(selectionSchema(type, selections, schema, fragments), type.description);
  }
  return leafSchema(type);
}

interface CollectedField {
  definition: GraphQLField<unknown, unknown> | undefined;
  nodes: FieldNode[];
  /** Selected unconditionally: present on every object of the type. */
  always: boolean;
}

/**
 * The JSON object a selection set produces on `type`. Fields under a fragment on a narrower type
 * (or under @skip/@include) are not always there, so they are optional; everything else is
 * required, and nothing else can appear.
 */
function selectionSchema(
  type: GraphQLCompositeType,
  selectionSets: readonly SelectionSetNode[],
  schema: GraphQLSchema,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): JsonSchema {
  const fields = new Map<string, CollectedField>();
  const collect = (on: GraphQLCompositeType, set: SelectionSetNode, always: boolean) => {
    for (const selection of set.selections) {
      const unconditional = always && !selection.directives?.some((d) => d.name.value === 'skip' || d.name.value === 'include');
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        const definition = selection.name.value === '__typename' || isUnionType(on) ? undefined : on.getFields()[selection.name.value];
        const existing = fields.get(key);
        if (existing) {
          existing.nodes.push(selection);
          existing.always ||= unconditional;
        } else {
          fields.set(key, { definition, nodes: [selection], always: unconditional });
        }
        continue;
      }
      const fragment = selection.kind === Kind.FRAGMENT_SPREAD ? fragments.get(selection.name.value) : selection;
      if (!fragment) continue;
      const condition = fragment.typeCondition ? (typeFromAST(schema, fragment.typeCondition) as GraphQLCompositeType | undefined) : on;
      if (!condition) continue;
      // A fragment on the type itself, or on an interface or union every object of it belongs to.
      const coversType = condition.name === type.name || (isObjectType(type) && isAbstractType(condition) && schema.isSubType(condition, type));
      collect(condition, fragment.selectionSet, unconditional && coversType);
    }
  };
  for (const set of selectionSets) collect(type, set, true);

  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  for (const [key, field] of fields) {
    if (!field.definition) {
      properties[key] = { type: 'string', description: 'The object’s GraphQL type name.' };
    } else {
      properties[key] = withDescription(outputSchema(field.definition.type, field.nodes, schema, fragments), field.definition.description);
    }
    if (field.always) required.push(key);
  }
  return { type: 'object', properties, ...(required.length ? { required } : {}), additionalProperties: false };
}

function leafSchema(type: GraphQLNamedType): JsonSchema {
  if (isEnumType(type)) return withDescription({ type: 'string', enum: type.getValues().map((v) => v.name) }, type.description);
  if (isScalarType(type)) {
    switch (type.name) {
      case 'ID':
      case 'String':
        return { type: 'string' };
      case 'Int':
        return { type: 'integer', format: 'int32' };
      case 'Float':
        return { type: 'number', format: 'double' };
      case 'Boolean':
        return { type: 'boolean' };
      default:
        return { description: type.description ?? `GraphQL scalar ${type.name}` };
    }
  }
  return {};
}

function nullable(schema: JsonSchema): JsonSchema {
  if (typeof schema.type === 'string') {
    const result: JsonSchema = { ...schema, type: [schema.type, 'null'] };
    if (Array.isArray(schema.enum)) result.enum = [...(schema.enum as unknown[]), null];
    return result;
  }
  return schema;
}

function stripNull<T extends GraphQLOutputType | GraphQLInputType>(type: T): T {
  return (isNonNullType(type) ? type.ofType : type) as T;
}

function withDescription(schema: JsonSchema, description: string | null | undefined): JsonSchema {
  return description ? { ...schema, description } : schema;
}

const PROBLEM_SCHEMA = {
  type: 'object',
  description: 'RFC 9457 problem details. Match on `code`, never on `title` or `detail`.',
  required: ['type', 'title', 'status', 'code'],
  properties: {
    type: { type: 'string', format: 'uri-reference', description: 'Identifies the problem type: `urn:portico:error:<code>`.' },
    title: { type: 'string', description: 'A short summary of the problem type.' },
    status: { type: 'integer', description: 'The HTTP status.' },
    detail: { type: 'string', description: 'What went wrong in this occurrence.' },
    code: { type: 'string', description: 'The stable error code (docs/errors.md).' },
    requestId: { type: 'string', description: 'Quote it when asking about this request.' },
    invalidParams: {
      type: 'array',
      description: 'Each refused parameter and why.',
      items: {
        type: 'object',
        required: ['name', 'in', 'reason'],
        properties: { name: { type: 'string' }, in: { type: 'string', enum: ['path', 'query', 'body'] }, reason: { type: 'string' } },
      },
    },
    reason: { type: 'string', description: 'Why, as a stable word: e.g. `credentials_required` on a 401.' },
    denied: {
      type: 'array',
      description: 'On a 401 or 403: each field of the route’s operation the caller may not use, where, and `reason` when ownership denies it (`not_owner`, `owner_unknown`).',
      items: {
        type: 'object',
        required: ['field'],
        properties: { field: { type: 'string' }, path: { type: 'array', items: { type: ['string', 'integer'] } }, reason: { type: 'string' } },
      },
    },
    errors: {
      type: 'array',
      description: 'The GraphQL errors behind this problem: their codes, where in the result they occurred, and for a denied field its name and reason.',
      items: {
        type: 'object',
        required: ['code'],
        properties: { code: { type: 'string' }, path: { type: 'array', items: { type: ['string', 'integer'] } }, field: { type: 'string' }, reason: { type: 'string' } },
      },
    },
  },
};

const HEADERS = {
  ETag: { description: 'Strong validator of the representation; send it back in If-None-Match.', schema: { type: 'string' } },
  RetryAfter: { description: 'Seconds to wait before retrying.', schema: { type: 'integer', minimum: 0 } },
  Deprecation: { description: 'RFC 9745: when this route was deprecated, as `@<epoch seconds>`.', schema: { type: 'string' } },
  Sunset: { description: 'RFC 8594: when this route stops answering (HTTP-date).', schema: { type: 'string' } },
  Link: { description: 'The successor version of this route (`rel="successor-version"`).', schema: { type: 'string' } },
  PartialErrors: {
    description: 'Present when part of the result could not be produced: the error codes, comma-separated. The fields they affect are null.',
    schema: { type: 'string' },
  },
  RequestId: { description: 'The request id, also in the gateway’s logs.', schema: { type: 'string' } },
  WWWAuthenticate: { description: 'The accepted credentials and why the ones sent were refused.', schema: { type: 'string' } },
};

const problem = (description: string, headers?: Record<string, unknown>) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const retryAfter = { 'Retry-After': { $ref: '#/components/headers/RetryAfter' } };

const ERROR_RESPONSES = {
  '400': problem('A parameter is missing, unknown or of the wrong type (`invalidParams` names it), or the request breaks a query limit.'),
  '401': problem('Credentials are missing or invalid.', { 'WWW-Authenticate': { $ref: '#/components/headers/WWWAuthenticate' } }),
  '403': problem('The caller may not read what this route returns.'),
  '404': problem('Nothing exists for these parameters (RESOURCE_NOT_FOUND), or no route has this path (NOT_FOUND).'),
  '413': problem('The body is larger than this API accepts.'),
  '415': problem('The body is not `application/json`.'),
  '429': problem('The caller’s rate limit is spent.', retryAfter),
  '500': problem('Unexpected error; quote the request id.'),
  '502': problem('A data source answered with an error.'),
  '503': problem('A data source or the gateway is unavailable right now.', retryAfter),
};

// Exported for tests that check every status the gateway can answer is documented.
export const DOCUMENTED_ERROR_STATUSES = Object.keys(ERROR_RESPONSES).map(Number);
