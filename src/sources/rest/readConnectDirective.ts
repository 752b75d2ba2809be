import { type ConstDirectiveNode, type DirectiveNode, valueFromASTUntyped } from 'graphql';
import { parseConnectorUrl, UrlTemplateError, type ConnectorUrl, type UrlVariable } from './parseConnectorUrl.js';
import { parseSelection, selectionPaths, SelectionError, type Selection } from './parseSelection.js';

/** Throws the start-up error: `<file>: <key>: <construct>: <problem>`. */
export type Fail = (key: string, construct: string, problem: string) => never;

const VERBS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** One `@connect`, read and checked: the request it makes and the selection of its answer. */
export interface ConnectSpec {
  method: 'GET' | 'POST';
  url: ConnectorUrl;
  headers: Record<string, string>;
  body?: Selection;
  selection: Selection;
  entity: boolean;
  maxSize?: number;
}

/**
 * Reads one `@connect` directive, refusing every argument, method, URL expression and selection
 * construct outside the subset (docs/connectors.md). `allowed` is what the position offers:
 * `$args` on fields, `$this` below the root, `$batch` on types.
 */
export function readConnect(
  directive: ConstDirectiveNode,
  key: string,
  allowed: ReadonlySet<UrlVariable>,
  isRoot: boolean,
  fail: Fail,
  sourceName: string,
): ConnectSpec {
  const args = argumentsOf(directive);
  only(args, ['source', 'http', 'selection', 'entity', 'batch'], (extra) => fail(key, `@connect(${extra}:)`, 'not supported'));
  if (args.source === undefined) fail(key, '@connect without source', 'not supported: name the @source');
  if (args.source !== sourceName) fail(key, `@connect(source: "${String(args.source)}")`, `names no @source (the schema's is "${sourceName}")`);
  const http = objectOf(args.http);
  only(http, [...VERBS, 'body', 'headers'], (extra) => fail(key, `@connect(http: { ${extra} })`, 'not supported'));
  const verbs = VERBS.filter((verb) => http[verb] !== undefined);
  if (verbs.length !== 1) fail(key, '@connect(http:)', `exactly one of ${VERBS.join(', ')} is required`);
  const verb = verbs[0]!;
  if (verb !== 'GET' && verb !== 'POST') fail(key, `@connect(http: { ${verb} })`, 'not supported: Portico REST sources only read (GET, or POST for searches)');
  let url: ConnectSpec['url'];
  try {
    url = parseConnectorUrl(String(http[verb]), allowed);
  } catch (error) {
    if (error instanceof UrlTemplateError) return fail(key, `${verb} "${error.construct}"`, error.message);
    throw error;
  }
  const parse = (text: unknown, what: string): Selection => {
    if (typeof text !== 'string') return fail(key, what, 'must be a string');
    try {
      return parseSelection(text);
    } catch (error) {
      if (error instanceof SelectionError) return fail(key, `${what} "${error.construct}"`, error.message);
      throw error;
    }
  };
  const selection = parse(args.selection, 'selection');
  for (const path of selectionPaths(selection)) {
    if (path.root === '$batch') fail(key, 'selection "$batch"', 'not available in a selection');
    if (path.root === '$this' && isRoot) fail(key, 'selection "$this"', 'not available on a Query field');
    if (path.root === '$this' && allowed.has('$batch')) fail(key, 'selection "$this"', 'not available in a @connect on a type');
    if (path.root === '$args' && !allowed.has('$args')) fail(key, 'selection "$args"', 'not available in a @connect on a type');
  }
  let body: Selection | undefined;
  if (http.body !== undefined) {
    if (verb !== 'POST') fail(key, `@connect(http: { body })`, 'only with POST');
    body = parse(http.body, 'body');
    for (const path of selectionPaths(body)) {
      if (path.root === 'data' || path.root === '$batch') fail(key, `body "${path.keys[0] ?? '$'}"`, 'every value of a body must come from $args or $this');
      if (path.root === '$this' && !allowed.has('$this')) fail(key, 'body "$this"', 'not available on a Query field');
    }
  }
  let maxSize: number | undefined;
  if (args.batch !== undefined) {
    const batch = objectOf(args.batch);
    only(batch, ['maxSize'], (extra) => fail(key, `@connect(batch: { ${extra} })`, 'not supported'));
    if (!allowed.has('$batch')) fail(key, '@connect(batch:)', 'only on a type connector with $batch');
    const size = batch.maxSize === undefined ? undefined : Number(batch.maxSize);
    if (size !== undefined && (!Number.isInteger(size) || size < 1)) fail(key, '@connect(batch: { maxSize })', 'must be a positive integer');
    maxSize = size;
  }
  const entity = args.entity === true;
  if (entity && !isRoot) fail(key, '@connect(entity: true)', 'only on Query fields');
  return {
    method: verb,
    url,
    headers: literalHeaders(http.headers, (construct, problem) => fail(key, construct, problem)),
    selection,
    entity,
    ...(body ? { body } : {}),
    ...(maxSize !== undefined ? { maxSize } : {}),
  };
}

/** Checks a selection's output keys against the GraphQL type it fills, as Apollo's composition does. */

/** Literal `{ name, value }` headers; `from`, expressions and Portico's own headers are refused. */
export function literalHeaders(raw: unknown, fail: (construct: string, problem: string) => never): Record<string, string> {
  if (raw === undefined) return {};
  if (!Array.isArray(raw)) return fail('headers', 'must be a list of { name, value }');
  const headers: Record<string, string> = {};
  for (const entry of raw as unknown[]) {
    const header = objectOf(entry);
    only(header, ['name', 'value', 'from'], (extra) => fail(`headers { ${extra} }`, 'not supported'));
    const name = String(header.name ?? '').toLowerCase();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(name)) fail(`headers { name: "${String(header.name)}" }`, 'not a header name');
    if (name === 'x-request-id' || name.startsWith('x-portico-') || name === 'host') {
      fail(`headers { name: "${name}" }`, 'reserved: Portico sets it on every call');
    }
    if (header.from !== undefined) fail(`headers { name: "${name}", from }`, 'not supported: client headers reach sources only through header rules');
    if (typeof header.value !== 'string') fail(`headers { name: "${name}" }`, 'needs a literal value');
    const value = header.value as string;
    if (value.includes('{')) fail(`headers { name: "${name}", value: "${value}" }`, 'expressions in header values are not supported');
    if (/[\r\n]/.test(value)) fail(`headers { name: "${name}" }`, 'a header value cannot span lines');
    headers[name] = value;
  }
  return headers;
}

/** A directive's arguments as plain values. */
export function argumentsOf(directive: DirectiveNode): Record<string, unknown> {
  return Object.fromEntries((directive.arguments ?? []).map((argument) => [argument.name.value, valueFromASTUntyped(argument.value)]));
}

export function objectOf(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Calls `fail` with the first key of `object` not in `allowed`. */
export function only(object: Record<string, unknown>, allowed: readonly string[], fail: (extra: string) => void): void {
  for (const key of Object.keys(object)) if (!allowed.includes(key)) fail(key);
}
