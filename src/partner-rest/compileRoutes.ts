import { readFile } from 'node:fs/promises';
import path from 'node:path';
import {
  GraphQLSchema,
  Kind,
  parse,
  typeFromAST,
  validate,
  valueFromAST,
  isInputType,
  isNonNullType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
} from 'graphql';
import { GraphQLDeferDirective, GraphQLStreamDirective } from '@graphql-tools/utils';
import { ConfigError, displayPath } from '../config/configError.js';
import type { RouteConfig, RoutesConfig } from '../config/routesSchema.js';
import { checkValue, textRepresentable, type CompiledParameter } from './coerceParameters.js';
import { parseRoutePath, type RoutePath } from './routePath.js';

export type HttpMethod = RouteConfig['method'];

/** A route checked against the BFF's schema at start-up, ready to serve. */
export interface CompiledRoute {
  /** Position in `routes.endpoints`, for messages. */
  index: number;
  method: HttpMethod;
  path: RoutePath;
  /** The stored document sent through the pipeline, exactly as read from its file. */
  document: string;
  operationName: string;
  operationType: 'query' | 'mutation';
  operation: OperationDefinitionNode;
  fragments: ReadonlyMap<string, FragmentDefinitionNode>;
  /** The one root field, and its key in `data` (its alias, if it has one). */
  rootField: FieldNode;
  rootKey: string;
  parameters: CompiledParameter[];
  takesBody: boolean;
  operationId: string;
  config: RouteConfig;
}

export interface RouteTable {
  routes: CompiledRoute[];
  config: RoutesConfig;
}

/**
 * Reads each route's operation and checks it against the composed schema, so a broken route
 * stops start-up with a message naming the BFF config file and the key, instead of answering 500
 * to the first partner who calls it. A route's operation must have exactly one root field (its
 * value is the response body), may not be a subscription, and must fit the method (no mutation
 * behind GET); every parameter must fill an existing variable of a type its location can carry,
 * every required variable must be filled, and every example must be valid for its variable.
 */
export async function compileRoutes(bffFile: string, config: RoutesConfig, schema: GraphQLSchema): Promise<RouteTable> {
  const file = displayPath(bffFile);
  const routes: CompiledRoute[] = [];
  const operationIds = new Set<string>();
  for (const [index, route] of config.endpoints.entries()) {
    const key = `routes.endpoints[${index}]`;
    const fail = (suffix: string, problem: string): never => {
      throw new ConfigError(file, `${key}${suffix}`, problem);
    };

    const operationFile = path.resolve(path.dirname(bffFile), route.operation);
    let text: string;
    try {
      text = await readFile(operationFile, 'utf8');
    } catch {
      return fail('.operation', `cannot read ${displayPath(operationFile)}`);
    }
    let document: DocumentNode;
    try {
      document = parse(text);
    } catch (error) {
      return fail('.operation', `${displayPath(operationFile)} does not parse: ${(error as Error).message}`);
    }
    const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
    const operation = route.operationName
      ? operations.find((o) => o.name?.value === route.operationName)
      : operations.length === 1
        ? operations[0]
        : undefined;
    if (!operation) {
      return fail(
        route.operationName ? '.operationName' : '.operation',
        route.operationName
          ? `${displayPath(operationFile)} has no operation named "${route.operationName}"`
          : `${displayPath(operationFile)} holds ${operations.length} operations; name one with "operationName"`,
      );
    }
    if (!operation.name) return fail('.operation', 'the operation needs a name (it names the operation in logs, metrics and the OpenAPI document)');
    // @defer/@stream are the pipeline's own directives (useIncrementalDelivery adds them to the
    // served schema); a route answers one complete body either way (docs/defer-stream.md).
    const errors = validate(withIncrementalDirectives(schema), document);
    if (errors.length) return fail('.operation', `${displayPath(operationFile)} is not valid for this BFF's schema: ${errors[0]!.message}`);

    if (operation.operation === 'subscription') return fail('.operation', 'a subscription cannot be a REST route');
    if (operation.operation === 'mutation' && route.method === 'GET') {
      return fail('.method', 'GET must be safe; a mutation needs POST, PUT, PATCH or DELETE');
    }
    const selections = operation.selectionSet.selections;
    const rootField = selections[0];
    if (selections.length !== 1 || rootField?.kind !== Kind.FIELD || rootField.directives?.length) {
      return fail('.operation', 'the operation must select exactly one root field, without @skip/@include: its value is the response body');
    }

    const fragments = new Map(
      document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]),
    );
    const routePath = parseRoutePath(route.path);
    const parameters: CompiledParameter[] = [];
    const filled = new Set<string>();
    for (const [name, parameter] of Object.entries(route.params)) {
      const at = `.params.${name}`;
      const variableName = parameter.variable ?? name;
      const definition = operation.variableDefinitions?.find((v) => v.variable.name.value === variableName);
      if (!definition) return fail(at, `the operation has no variable $${variableName}`);
      if (filled.has(variableName)) return fail(at, `$${variableName} is already filled by another parameter`);
      filled.add(variableName);
      const type = typeFromAST(schema, definition.type);
      if (!type || !isInputType(type)) return fail(at, `$${variableName} has no input type in this schema`);
      if (parameter.in === 'path' && !routePath.segments.some((s) => 'param' in s && s.param === name)) {
        return fail(at, `"${route.path}" has no :${name} segment`);
      }
      if (parameter.in === 'body' && route.method === 'GET') return fail(at, 'GET takes no body');
      if (parameter.in !== 'body' && !textRepresentable(type, parameter.in === 'query')) {
        return fail(at, `$${variableName} is ${String(type)}, which a ${parameter.in} parameter cannot carry; use "in: 'body'"`);
      }
      const exampleProblem = checkValue(parameter.example, type);
      if (exampleProblem) return fail(`${at}.example`, exampleProblem);
      const compiled: CompiledParameter = {
        name,
        in: parameter.in,
        variable: variableName,
        type,
        required: parameter.in === 'path' || (isNonNullType(type) && !definition.defaultValue),
        example: parameter.example,
      };
      if (parameter.description) compiled.description = parameter.description;
      if (definition.defaultValue) compiled.defaultValue = valueFromAST(definition.defaultValue, type);
      parameters.push(compiled);
    }
    for (const segment of routePath.segments) {
      if ('param' in segment && !parameters.some((p) => p.in === 'path' && p.name === segment.param)) {
        return fail('.path', `:${segment.param} is not declared in "params" with in: 'path'`);
      }
    }
    for (const definition of operation.variableDefinitions ?? []) {
      const variableName = definition.variable.name.value;
      if (!filled.has(variableName) && definition.type.kind === Kind.NON_NULL_TYPE && !definition.defaultValue) {
        return fail('.params', `the required variable $${variableName} is filled by no parameter`);
      }
    }

    const operationId = `${operation.name.value}${routePath.version.toUpperCase()}`;
    if (operationIds.has(operationId)) return fail('.operation', `another route of ${routePath.version} already runs ${operation.name.value}`);
    operationIds.add(operationId);

    routes.push({
      index,
      method: route.method,
      path: routePath,
      document: text,
      operationName: operation.name.value,
      operationType: operation.operation,
      operation,
      fragments,
      rootField,
      rootKey: rootField.alias?.value ?? rootField.name.value,
      parameters,
      takesBody: parameters.some((p) => p.in === 'body'),
      operationId,
      config: route,
    });
  }
  return { routes, config };
}

const withDirectives = new WeakMap<GraphQLSchema, GraphQLSchema>();

/** The BFF's schema as it is served: with `@defer` and `@stream`, which yoga's plugin adds at start. */
function withIncrementalDirectives(schema: GraphQLSchema): GraphQLSchema {
  let served = withDirectives.get(schema);
  if (!served) {
    const missing = [GraphQLDeferDirective, GraphQLStreamDirective].filter((directive) => !schema.getDirective(directive.name));
    served = missing.length === 0 ? schema : new GraphQLSchema({ ...schema.toConfig(), directives: [...schema.getDirectives(), ...missing] });
    withDirectives.set(schema, served);
  }
  return served;
}
