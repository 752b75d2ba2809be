import {
  Kind,
  isTypeDefinitionNode,
  isTypeExtensionNode,
  parse,
  type ConstDirectiveNode,
  type DocumentNode,
  type FieldDefinitionNode,
} from 'graphql';

export type CacheScope = 'PUBLIC' | 'PRIVATE';

/** One `@cacheControl(maxAge:, scope:, inheritMaxAge:)`, as Apollo defines the directive. */
export interface CacheHint {
  /** Seconds; absent when the hint only sets the scope or inherits. */
  maxAge?: number;
  /** Absent means the hint does not restrict the scope (PUBLIC). */
  scope?: CacheScope;
  /** The field (or every field returning the type) takes its parent's max-age instead of the default. */
  inheritMaxAge?: boolean;
}

/** The hints a BFF's SDL declares, keyed by the BFF's own coordinates (renames applied). */
export interface CacheHints {
  /** On an object, interface or union type: applies to every field returning it. */
  types: ReadonlyMap<string, CacheHint>;
  /** "Type.field": overrides its return type's hint. */
  fields: ReadonlyMap<string, CacheHint>;
}

/** One SDL to read hints from, named for error messages. */
export interface CacheSdl {
  /** e.g. "source users", "BFF web typeDefs". */
  origin: string;
  sdl: string | DocumentNode;
}

export const NO_CACHE_HINTS: CacheHints = { types: new Map(), fields: new Map() };

/**
 * Reads `@cacheControl` from the SDL ASTs a BFF is composed of (its sources' files in schemas/
 * and its own typeDefs), not from the stitched schema, because stitching, federation composition
 * and the REST engine do not promise to keep directives. Renames are applied, so the result is
 * keyed by the coordinates clients query.
 *
 * Where two SDLs hint the same coordinate (a type several sources share), the stricter hint wins:
 * the shorter max-age, and PRIVATE over PUBLIC. A malformed hint (a negative max-age, an unknown
 * scope, max-age together with inheritMaxAge) stops start-up, naming the SDL and the coordinate.
 */
export function collectCacheHints(sdls: readonly CacheSdl[], rename: Readonly<Record<string, string>> = {}): CacheHints {
  const types = new Map<string, CacheHint>();
  const fields = new Map<string, CacheHint>();
  const add = (map: Map<string, CacheHint>, key: string, hint: CacheHint) => map.set(key, stricter(map.get(key), hint));

  for (const { origin, sdl } of sdls) {
    const document = typeof sdl === 'string' ? parse(sdl) : sdl;
    for (const definition of document.definitions) {
      if (!isTypeDefinitionNode(definition) && !isTypeExtensionNode(definition)) continue;
      const typeName = definition.name.value;
      const typeHint = hintOf(definition.directives, origin, typeName);
      if (typeHint) {
        const kind = definition.kind;
        const composite =
          kind === Kind.OBJECT_TYPE_DEFINITION || kind === Kind.OBJECT_TYPE_EXTENSION ||
          kind === Kind.INTERFACE_TYPE_DEFINITION || kind === Kind.INTERFACE_TYPE_EXTENSION ||
          kind === Kind.UNION_TYPE_DEFINITION || kind === Kind.UNION_TYPE_EXTENSION;
        if (!composite) throw new Error(`${origin}: ${typeName}: @cacheControl applies to object, interface and union types only`);
        add(types, typeName, typeHint);
      }
      const fieldNodes: readonly FieldDefinitionNode[] =
        definition.kind === Kind.OBJECT_TYPE_DEFINITION || definition.kind === Kind.OBJECT_TYPE_EXTENSION ||
        definition.kind === Kind.INTERFACE_TYPE_DEFINITION || definition.kind === Kind.INTERFACE_TYPE_EXTENSION
          ? (definition.fields ?? [])
          : [];
      for (const field of fieldNodes) {
        const sourceCoordinate = `${typeName}.${field.name.value}`;
        const hint = hintOf(field.directives, origin, sourceCoordinate);
        if (hint) add(fields, `${typeName}.${rename[sourceCoordinate] ?? field.name.value}`, hint);
      }
    }
  }
  return { types, fields };
}

/** The stricter of two hints on one coordinate. */
export function stricter(a: CacheHint | undefined, b: CacheHint): CacheHint {
  if (!a) return b;
  const merged: CacheHint = {};
  const maxAges = [a.maxAge, b.maxAge].filter((age): age is number => age !== undefined);
  if (maxAges.length > 0) merged.maxAge = Math.min(...maxAges);
  if (a.scope === 'PRIVATE' || b.scope === 'PRIVATE') merged.scope = 'PRIVATE';
  else if (a.scope ?? b.scope) merged.scope = 'PUBLIC';
  // Inheriting only survives when neither side names a max-age of its own.
  if (merged.maxAge === undefined && (a.inheritMaxAge || b.inheritMaxAge)) merged.inheritMaxAge = true;
  return merged;
}

function hintOf(directives: readonly ConstDirectiveNode[] | undefined, origin: string, at: string): CacheHint | undefined {
  const directive = directives?.find((each) => each.name.value === 'cacheControl');
  if (!directive) return undefined;
  const hint: CacheHint = {};
  for (const argument of directive.arguments ?? []) {
    const { value } = argument;
    if (value.kind === Kind.NULL) continue;
    switch (argument.name.value) {
      case 'maxAge':
        if (value.kind !== Kind.INT || Number.parseInt(value.value, 10) < 0) {
          throw new Error(`${origin}: ${at}: @cacheControl(maxAge:) must be a non-negative integer (seconds)`);
        }
        hint.maxAge = Number.parseInt(value.value, 10);
        break;
      case 'scope':
        if (value.kind !== Kind.ENUM || (value.value !== 'PUBLIC' && value.value !== 'PRIVATE')) {
          throw new Error(`${origin}: ${at}: @cacheControl(scope:) must be PUBLIC or PRIVATE`);
        }
        hint.scope = value.value;
        break;
      case 'inheritMaxAge':
        if (value.kind !== Kind.BOOLEAN) throw new Error(`${origin}: ${at}: @cacheControl(inheritMaxAge:) must be a boolean`);
        if (value.value) hint.inheritMaxAge = true;
        break;
      default:
        throw new Error(`${origin}: ${at}: @cacheControl has no argument "${argument.name.value}"`);
    }
  }
  if (hint.inheritMaxAge && hint.maxAge !== undefined) {
    throw new Error(`${origin}: ${at}: @cacheControl takes maxAge or inheritMaxAge, not both`);
  }
  return hint;
}
