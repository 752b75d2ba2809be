/** One difference between two OpenAPI documents of the partner routes, as a client sees it. */
export interface OpenApiChange {
  level: 'breaking' | 'safe';
  /** The API version the document describes (`v1`). */
  version: string;
  /** `GET /v1/orders` */
  operation: string;
  message: string;
}

type Json = Record<string, unknown>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/**
 * What changes for a client between two OpenAPI documents (src/partner-rest/buildOpenApi.ts
 * output; schemas are inline there, so no `$ref` to follow in parameters or bodies):
 * - breaking: a path or operation removed; a parameter removed, newly required, or of another
 *   type; a request body property newly required or of another type; a response property
 *   removed, of another type, or newly nullable;
 * - safe: a path or operation added; an optional parameter or a response property added.
 * A request may accept more than before, a response may say more than before, never the reverse.
 */
export function diffOpenApi(before: Json, after: Json, version: string): OpenApiChange[] {
  const changes: OpenApiChange[] = [];
  const oldPaths = (before['paths'] ?? {}) as Record<string, Json>;
  const newPaths = (after['paths'] ?? {}) as Record<string, Json>;
  for (const [route, oldItem] of Object.entries(oldPaths)) {
    for (const method of METHODS.filter((m) => oldItem[m] !== undefined)) {
      const operation = `${method.toUpperCase()} ${route}`;
      const add = (level: OpenApiChange['level'], message: string) => changes.push({ level, version, operation, message });
      const newOperation = newPaths[route]?.[method] as Json | undefined;
      if (!newOperation) {
        add('breaking', newPaths[route] ? 'operation removed' : 'path removed');
        continue;
      }
      compareOperations(oldItem[method] as Json, newOperation, add);
    }
  }
  for (const [route, newItem] of Object.entries(newPaths)) {
    for (const method of METHODS.filter((m) => newItem[m] !== undefined && oldPaths[route]?.[m] === undefined)) {
      changes.push({ level: 'safe', version, operation: `${method.toUpperCase()} ${route}`, message: 'operation added' });
    }
  }
  return changes;
}

function compareOperations(before: Json, after: Json, add: (level: OpenApiChange['level'], message: string) => void): void {
  const parameters = (operation: Json) => new Map(((operation['parameters'] ?? []) as Json[]).map((p) => [`${String(p['in'])} parameter ${String(p['name'])}`, p]));
  const oldParameters = parameters(before);
  const newParameters = parameters(after);
  for (const [name, parameter] of oldParameters) {
    const now = newParameters.get(name);
    if (!now) add('breaking', `${name} removed`);
    else {
      if (now['required'] === true && parameter['required'] !== true) add('breaking', `${name} is now required`);
      compareSchemas(parameter['schema'] as Json, now['schema'] as Json, name, 'request', add);
    }
  }
  for (const [name, parameter] of newParameters) {
    if (oldParameters.has(name)) continue;
    add(parameter['required'] === true ? 'breaking' : 'safe', `${name} added${parameter['required'] === true ? ' as required' : ''}`);
  }
  const body = (operation: Json) => ((operation['requestBody'] as Json | undefined)?.['content'] as Json | undefined)?.['application/json'] as Json | undefined;
  const oldBody = body(before);
  const newBody = body(after);
  if (newBody && !oldBody) add('breaking', 'request body added');
  if (oldBody && newBody) compareSchemas(oldBody['schema'] as Json, newBody['schema'] as Json, 'request body', 'request', add);
  const response = (operation: Json) => ((((operation['responses'] as Json | undefined)?.['200'] as Json | undefined)?.['content'] as Json | undefined)?.['application/json'] as Json | undefined)?.['schema'] as Json | undefined;
  const oldResponse = response(before);
  const newResponse = response(after);
  if (oldResponse && !newResponse) add('breaking', '200 response body removed');
  if (oldResponse && newResponse) compareSchemas(oldResponse, newResponse, 'response', 'response', add);
}

function typesOf(schema: Json | undefined): Set<string> {
  const type = schema?.['type'];
  if (type === undefined) return new Set(['any']);
  return new Set(Array.isArray(type) ? (type as string[]) : [type as string]);
}

function compareSchemas(
  before: Json | undefined,
  after: Json | undefined,
  where: string,
  direction: 'request' | 'response',
  add: (level: OpenApiChange['level'], message: string) => void,
): void {
  if (!before || !after) return;
  const oldTypes = typesOf(before);
  const newTypes = typesOf(after);
  // A request must still accept what it accepted; a response may only send what it sent.
  const [wider, narrower] = direction === 'request' ? [newTypes, oldTypes] : [oldTypes, newTypes];
  const fits = wider.has('any') || [...narrower].every((type) => wider.has(type) || (type === 'integer' && wider.has('number')));
  if (!fits) {
    add('breaking', `${where}: type changed from ${[...oldTypes].join(' | ')} to ${[...newTypes].join(' | ')}`);
    return;
  }
  const oldEnum = before['enum'] as unknown[] | undefined;
  const newEnum = after['enum'] as unknown[] | undefined;
  if (oldEnum && newEnum) {
    const [from, to] = direction === 'request' ? [oldEnum, newEnum] : [newEnum, oldEnum];
    const missing = from.filter((value) => !to.includes(value));
    if (missing.length > 0) add('breaking', `${where}: enum values ${direction === 'request' ? 'no longer accepted' : 'added'}: ${missing.join(', ')}`);
  }
  const oldProperties = (before['properties'] ?? {}) as Record<string, Json>;
  const newProperties = (after['properties'] ?? {}) as Record<string, Json>;
  const oldRequired = new Set((before['required'] ?? []) as string[]);
  const newRequired = new Set((after['required'] ?? []) as string[]);
  for (const [name, property] of Object.entries(oldProperties)) {
    const at = `${where}.${name}`;
    const now = newProperties[name];
    if (!now) {
      if (direction === 'response') add('breaking', `${at} removed`);
      continue;
    }
    if (direction === 'response' && oldRequired.has(name) && !newRequired.has(name)) add('breaking', `${at} is no longer always present`);
    if (direction === 'request' && newRequired.has(name) && !oldRequired.has(name)) add('breaking', `${at} is now required`);
    compareSchemas(property, now, at, direction, add);
  }
  for (const name of Object.keys(newProperties)) {
    if (name in oldProperties) continue;
    if (direction === 'request' && newRequired.has(name)) add('breaking', `${where}.${name} added as required`);
    else add('safe', `${where}.${name} added`);
  }
  compareSchemas(before['items'] as Json | undefined, after['items'] as Json | undefined, `${where}[]`, direction, add);
}
