import {
  Kind,
  getNamedType,
  getOperationAST,
  isAbstractType,
  isCompositeType,
  isInterfaceType,
  isObjectType,
  type DirectiveNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLNamedType,
  type GraphQLSchema,
  type SelectionNode,
} from 'graphql';
import { stricter, type CacheHint, type CacheHints, type CacheScope } from './collectCacheHints.js';

/** How long, and for whom, a whole response may be cached. */
export interface CachePolicy {
  /** Seconds; always positive. */
  maxAge: number;
  /** PRIVATE: cached per verified principal only. */
  scope: CacheScope;
}

export interface CachePolicyOptions {
  /** max-age of root fields and of fields returning composite types that have no hint. */
  defaultMaxAge: number;
  /**
   * Fields the analysis may visit before it gives up (and the operation is not cached).
   * @default 20000: fragments can repeat; analysis must stay cheap whatever the document.
   */
  maxFieldVisits?: number;
}

/**
 * The cache policy of one operation, decided from the document alone (so once per document and
 * operation, before execution), by the rules of Apollo's `@cacheControl`:
 * - a field's max-age is its own hint's, else its return type's hint's (for an interface or union,
 *   the stricter of its own and its possible types' hints); a field with neither gets
 *   `defaultMaxAge` if it is a root field or returns a composite type (unless it has
 *   `inheritMaxAge`), and a field returning a scalar or enum inherits its parent's;
 * - the response's max-age is the shortest of all its fields' (the shortest max-age wins);
 * - the scope is PRIVATE as soon as one hint on a selected field or its type says so. Unlike
 *   Apollo, a field hint never makes a PRIVATE type PUBLIC: an override may shorten staleness,
 *   never widen who may see the data.
 *
 * Undefined (do not cache) for anything but a query, for a max-age of 0 or no restriction at
 * all, for introspection, for `@defer`/`@stream`, and when the analysis gives up.
 * `@skip`/`@include` with literal conditions are honoured; with variables the field counts.
 */
export function planCachePolicy(
  schema: GraphQLSchema,
  hints: CacheHints,
  document: DocumentNode,
  operationName: string | null | undefined,
  options: CachePolicyOptions,
): CachePolicy | undefined {
  const operation = getOperationAST(document, operationName);
  if (!operation || operation.operation !== 'query') return undefined;
  const root = schema.getQueryType();
  if (!root) return undefined;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const walk = new Walk(schema, hints, fragments, options);
  try {
    walk.selections(root, operation.selectionSet.selections, true);
  } catch (error) {
    if (error === UNCACHEABLE) return undefined;
    throw error;
  }
  if (!Number.isFinite(walk.maxAge) || walk.maxAge <= 0) return undefined;
  return { maxAge: walk.maxAge, scope: walk.scope };
}

const UNCACHEABLE = Symbol('uncacheable');

class Walk {
  maxAge = Infinity;
  scope: CacheScope = 'PUBLIC';
  private visits = 0;
  private readonly maxVisits: number;
  private readonly defaultMaxAge: number;
  private readonly visitedFragments = new Set<string>();
  private readonly typeHints = new Map<string, CacheHint | undefined>();

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly hints: CacheHints,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    options: CachePolicyOptions,
  ) {
    this.maxVisits = options.maxFieldVisits ?? 20_000;
    this.defaultMaxAge = options.defaultMaxAge;
  }

  selections(parent: GraphQLCompositeType, selections: readonly SelectionNode[], isRoot: boolean): void {
    for (const selection of selections) {
      if (!included(selection.directives)) continue;
      // @defer/@stream change how an answer is delivered, not its data: the policy is the same,
      // and the cache stores only complete results (useResponseCache, docs/defer-stream.md).
      switch (selection.kind) {
        case Kind.FIELD:
          this.field(parent, selection.name.value, selection.selectionSet?.selections, isRoot);
          break;
        case Kind.INLINE_FRAGMENT: {
          const type = selection.typeCondition ? this.schema.getType(selection.typeCondition.name.value) : parent;
          if (!type || !isCompositeType(type)) throw UNCACHEABLE;
          this.selections(type, selection.selectionSet.selections, isRoot);
          break;
        }
        case Kind.FRAGMENT_SPREAD: {
          const name = selection.name.value;
          // A fragment's fields resolve on its type condition wherever it is spread, and the
          // policy is a minimum, so one visit per fragment gives the exact answer.
          if (this.visitedFragments.has(name)) break;
          this.visitedFragments.add(name);
          const fragment = this.fragments.get(name);
          const type = fragment && this.schema.getType(fragment.typeCondition.name.value);
          if (!fragment || !type || !isCompositeType(type)) throw UNCACHEABLE;
          this.selections(type, fragment.selectionSet.selections, isRoot);
          break;
        }
      }
    }
  }

  private field(parent: GraphQLCompositeType, name: string, selections: readonly SelectionNode[] | undefined, isRoot: boolean): void {
    if (++this.visits > this.maxVisits) throw UNCACHEABLE;
    if (name === '__typename') return;
    // __schema and __type: introspection answers change with deploys, not with data.
    if (name.startsWith('__')) throw UNCACHEABLE;
    if (!isObjectType(parent) && !isInterfaceType(parent)) throw UNCACHEABLE;
    const definition = parent.getFields()[name];
    if (!definition) throw UNCACHEABLE;
    const returned = getNamedType(definition.type);
    const composite = isCompositeType(returned);

    const typeHint = composite ? this.typeHint(returned) : undefined;
    const fieldHint = this.fieldHint(parent, name);
    const maxAge = fieldHint?.maxAge ?? typeHint?.maxAge;
    const inherits = fieldHint?.inheritMaxAge || (fieldHint?.maxAge === undefined && typeHint?.inheritMaxAge);
    if (maxAge !== undefined) this.maxAge = Math.min(this.maxAge, maxAge);
    else if (isRoot || (composite && !inherits)) this.maxAge = Math.min(this.maxAge, this.defaultMaxAge);
    if (fieldHint?.scope === 'PRIVATE' || typeHint?.scope === 'PRIVATE') this.scope = 'PRIVATE';

    if (composite && selections) this.selections(returned, selections, false);
  }

  /** The hint of a returned type; for an interface or union, merged with its possible types'. */
  private typeHint(type: GraphQLNamedType): CacheHint | undefined {
    if (this.typeHints.has(type.name)) return this.typeHints.get(type.name);
    let hint = this.hints.types.get(type.name);
    if (isAbstractType(type)) {
      const possible = this.schema.getPossibleTypes(type).map((each) => this.hints.types.get(each.name));
      // Without a hint of its own, an abstract type is only as cacheable as every type it may
      // turn out to be; one unhinted possible type leaves it to the default.
      if (!hint && possible.some((each) => each === undefined)) hint = undefined;
      else for (const each of possible) if (each) hint = stricter(hint, each);
    }
    this.typeHints.set(type.name, hint);
    return hint;
  }

  /** The hint of `parent.name`; on an interface, merged with the implementations' hints of the field. */
  private fieldHint(parent: GraphQLCompositeType, name: string): CacheHint | undefined {
    let hint = this.hints.fields.get(`${parent.name}.${name}`);
    if (isAbstractType(parent)) {
      for (const each of this.schema.getPossibleTypes(parent)) {
        const own = this.hints.fields.get(`${each.name}.${name}`);
        if (own) hint = stricter(hint, own);
      }
    }
    return hint;
  }
}

/** False only for `@skip(if: true)` or `@include(if: false)` with a literal condition. */
function included(directives: readonly DirectiveNode[] | undefined): boolean {
  for (const directive of directives ?? []) {
    const name = directive.name.value;
    if (name !== 'skip' && name !== 'include') continue;
    const condition = directive.arguments?.find((arg) => arg.name.value === 'if')?.value;
    if (condition?.kind !== Kind.BOOLEAN) continue;
    if (name === 'skip' && condition.value) return false;
    if (name === 'include' && !condition.value) return false;
  }
  return true;
}
