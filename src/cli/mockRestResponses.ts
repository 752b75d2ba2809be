import { buildASTSchema, getNullableType, isListType, isObjectType, parse, type DocumentNode, type GraphQLOutputType } from 'graphql';
import { parseRestDirectives } from '../sources/rest/parseRestDirectives.js';
import { restDirectiveDocument } from '../sources/rest/restDirectives.js';
import type { Template } from '../sources/rest/expandTemplate.js';
import { isConnectorSchema, translateConnectors } from '../sources/rest/translateConnectors.js';
import { mockLeaf } from './mockValues.js';

/** Nested objects a placeholder body goes down before it stops (SDL types may refer to each other). */
const MAX_DEPTH = 4;

/**
 * Answers GETs as a REST source described by `sdl` would, with placeholder JSON of the declared
 * types: a batch endpoint answers an item per requested key, echoing the key; an endpoint of a
 * `@rest` field answers one value of the field's type; anything else is a 404.
 */
export function mockRestResponder(sdl: string): (url: string) => { status: number; body: unknown; batch?: boolean } {
  const document = parse(sdl);
  // A connector schema becomes the same model; the placeholder JSON then has the GraphQL shape,
  // which identity selections (`id name`) read as is.
  const { schema, spec } = isConnectorSchema(document)
    ? translateConnectors(document, { source: 'mock', file: 'mock' })
    : restModelOf(document);
  const fetched = new Set(spec.fields.map((field) => `${field.typeName}.${field.fieldName}`));
  const endpoints = spec.fields.map((field) => {
    const type = schema.getType(field.typeName);
    const fieldType = isObjectType(type) ? type.getFields()[field.fieldName]!.type : undefined;
    return { pattern: templatePattern(field.path), type: fieldType, coordinate: `${field.typeName}.${field.fieldName}` };
  });

  const json = (type: GraphQLOutputType, coordinate: string, depth: number): unknown => {
    const nullable = getNullableType(type);
    if (isListType(nullable)) return [json(nullable.ofType, coordinate, depth)];
    if (!isObjectType(nullable)) return mockLeaf(nullable, coordinate);
    if (depth >= MAX_DEPTH) return {};
    const object: Record<string, unknown> = {};
    for (const [name, field] of Object.entries(nullable.getFields())) {
      // Fields with their own endpoint are fetched by their own call, not read from this body.
      if (fetched.has(`${nullable.name}.${name}`)) continue;
      object[spec.maps.get(nullable.name)?.get(name) ?? name] = json(field.type, `${nullable.name}.${name}`, depth + 1);
    }
    return object;
  };

  return (url) => {
    const { pathname, searchParams } = new URL(url);
    for (const entity of spec.entities) {
      if (!entity.batch || entity.batch.path !== pathname) continue;
      const keys = searchParams.get(entity.batch.param);
      if (keys === null) continue;
      const type = schema.getType(entity.typeName) as GraphQLOutputType;
      const items = keys.split(',').map((key) => ({ ...(json(type, entity.typeName, 0) as object), [entity.keyJsonName]: key }));
      return { status: 200, body: items, batch: true };
    }
    for (const { pattern, type, coordinate } of endpoints) {
      if (type && pattern.test(pathname)) return { status: 200, body: json(type, coordinate, 0) };
    }
    return { status: 404, body: null };
  };
}

function templatePattern(template: Template): RegExp {
  const source = template.parts
    .map((part) => (part.kind === 'text' ? part.text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&') : '[^/]+'))
    .join('');
  return new RegExp(`^${source}$`);
}

function restModelOf(document: DocumentNode) {
  const schema = buildASTSchema({ kind: document.kind, definitions: [...restDirectiveDocument.definitions, ...document.definitions] });
  return { schema, spec: parseRestDirectives(schema, 'mock') };
}
