import {
  coerceInputValue,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLInputType,
} from 'graphql';

export type ParameterLocation = 'path' | 'query' | 'body';

/** A route parameter resolved against its operation: where it comes from and what it fills. */
export interface CompiledParameter {
  /** The name the partner uses. */
  name: string;
  in: ParameterLocation;
  /** The operation variable it fills. */
  variable: string;
  type: GraphQLInputType;
  /** Non-null variable without a default: the partner must send it. */
  required: boolean;
  description?: string;
  example: unknown;
  /** The variable's default in the operation, as JSON. */
  defaultValue?: unknown;
}

/** Why one parameter was refused; the problem document lists these as `invalidParams`. */
export interface ParameterProblem {
  name: string;
  in: ParameterLocation;
  reason: string;
}

export interface RawParameters {
  path: Readonly<Record<string, string>>;
  query: URLSearchParams;
  /** The parsed JSON body, when the route takes one and one was sent. */
  body?: Readonly<Record<string, unknown>>;
}

export type CoercionResult = { variables: Record<string, unknown> } | { problems: ParameterProblem[] };

/**
 * Turns a request's path, query and body parameters into the operation's variables, checked
 * against the variables' GraphQL types before anything runs. Anything the route does not declare
 * is refused by name: a query parameter such as `query=` or `fields=`, or an unknown body
 * property, is never silently dropped, so a partner cannot believe it changed what runs.
 */
export function coerceParameters(parameters: readonly CompiledParameter[], raw: RawParameters): CoercionResult {
  const problems: ParameterProblem[] = [];
  const variables: Record<string, unknown> = {};
  const declared = { query: new Set<string>(), body: new Set<string>() };

  for (const parameter of parameters) {
    if (parameter.in !== 'path') declared[parameter.in].add(parameter.name);
    const problem = (reason: string) => problems.push({ name: parameter.name, in: parameter.in, reason });
    let value: unknown;
    if (parameter.in === 'body') {
      value = raw.body?.[parameter.name];
    } else {
      const strings = parameter.in === 'path' ? stringsOf(raw.path[parameter.name]) : raw.query.getAll(parameter.name);
      if (strings.length > 0) {
        const converted = fromStrings(strings, parameter.type);
        if ('reason' in converted) {
          problem(converted.reason);
          continue;
        }
        value = converted.value;
      }
    }
    if (value === undefined || (value === null && !isNonNullType(parameter.type))) {
      if (value === null) variables[parameter.variable] = null;
      else if (parameter.required) problem('is required');
      continue;
    }
    const reason = checkValue(value, parameter.type);
    if (reason) problem(reason);
    else variables[parameter.variable] = value;
  }

  for (const name of new Set(raw.query.keys())) {
    if (!declared.query.has(name)) problems.push({ name, in: 'query', reason: 'is not a parameter of this route' });
  }
  for (const name of Object.keys(raw.body ?? {})) {
    if (!declared.body.has(name)) problems.push({ name, in: 'body', reason: 'is not a parameter of this route' });
  }
  return problems.length ? { problems } : { variables };
}

/**
 * Checks a JSON value against a GraphQL input type with graphql-js's own coercion, so the verdict
 * is the one execution would reach. Returns the first reason, or undefined when valid.
 */
export function checkValue(value: unknown, type: GraphQLInputType): string | undefined {
  let reason: string | undefined;
  coerceInputValue(value, type, (path, _invalid, error) => {
    if (reason !== undefined) return;
    const where = path.length ? ` at ${path.join('.')}` : '';
    reason = `${error.message.replace(/\.$/, '')}${where}`;
  });
  return reason;
}

function stringsOf(value: string | undefined): string[] {
  return value === undefined ? [] : [value];
}

/** A query or path parameter is text; this reads it as the variable's type expects. */
function fromStrings(strings: readonly string[], type: GraphQLInputType): { value: unknown } | { reason: string } {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) {
    const values: unknown[] = [];
    for (const text of strings) {
      const item = fromString(text, inner.ofType);
      if ('reason' in item) return item;
      values.push(item.value);
    }
    return { value: values };
  }
  if (strings.length > 1) return { reason: 'is given more than once' };
  return fromString(strings[0]!, inner);
}

const INTEGER = /^-?(0|[1-9][0-9]*)$/;
const DECIMAL = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;

function fromString(text: string, type: GraphQLInputType): { value: unknown } | { reason: string } {
  const named = getNamedType(type);
  if (isEnumType(named)) {
    return named.getValue(text) ? { value: text } : { reason: `must be one of ${named.getValues().map((v) => v.name).join(', ')}` };
  }
  if (isInputObjectType(named) || !isScalarType(named)) return { reason: `cannot be given as text (${String(type)})` };
  switch (named.name) {
    case 'Int': {
      const value = Number(text);
      return INTEGER.test(text) && Number.isSafeInteger(value) && value <= 2_147_483_647 && value >= -2_147_483_648
        ? { value }
        : { reason: 'must be a 32-bit integer' };
    }
    case 'Float':
      return DECIMAL.test(text) && Number.isFinite(Number(text)) ? { value: Number(text) } : { reason: 'must be a number' };
    case 'Boolean':
      return text === 'true' || text === 'false' ? { value: text === 'true' } : { reason: 'must be true or false' };
    default:
      // String, ID and custom scalars take the text; the scalar's own parser has the last word.
      return { value: text };
  }
}

/**
 * Whether a variable type can come from a path segment (a single scalar or enum) or the query
 * string (the same, or a list of them, as repeated keys).
 */
export function textRepresentable(type: GraphQLInputType, allowList: boolean): boolean {
  const inner = isNonNullType(type) ? type.ofType : type;
  if (isListType(inner)) {
    if (!allowList) return false;
    const item = isNonNullType(inner.ofType) ? inner.ofType.ofType : inner.ofType;
    return !isListType(item) && !isInputObjectType(item);
  }
  return !isInputObjectType(inner);
}
