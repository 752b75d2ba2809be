import {
  Kind,
  getNamedType,
  getNullableType,
  getOperationAST,
  isAbstractType,
  isCompositeType,
  isListType,
  isObjectType,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type SelectionNode,
  type ValueNode,
} from 'graphql';

/** `@listSize` on one field. */
export interface ListSize {
  /** Items assumed when no slicing argument says otherwise. */
  assumedSize?: number;
  /** Arguments whose value is the number of items returned (`first`, `pageSize`; a list argument counts its length). */
  slicingArguments: readonly string[];
  /** Fields of the returned type that the slicing arguments size, instead of this field (pages, connections). */
  sizedFields: readonly string[];
}

/** The weights a BFF's SDL declares, by schema coordinate in the BFF's own names. */
export interface CostDirectives {
  /** `@cost(weight:)` on a type (object, interface, union, scalar, enum): what one value of it costs. */
  types: ReadonlyMap<string, number>;
  /** `@cost(weight:)` on a field, "Type.field": replaces its type's weight for that field. */
  fields: ReadonlyMap<string, number>;
  /** `@listSize` by "Type.field". */
  listSizes: ReadonlyMap<string, ListSize>;
}

export const NO_COST_DIRECTIVES: CostDirectives = { types: new Map(), fields: new Map(), listSizes: new Map() };

export interface CostOptions {
  /** Items assumed for a list with no slicing argument and no `@listSize(assumedSize:)`. */
  defaultListSize: number;
  /** Added once to a mutation operation. */
  mutationCost: number;
  /**
   * Fields the analysis may visit (after fragments are expanded) before it gives up and calls
   * the operation unbounded. Fragments can expand exponentially; this keeps analysis cheap.
   * @default 20000
   */
  maxFieldVisits?: number;
}

export type Variables = Readonly<Record<string, unknown>> | null | undefined;

/** What analysing one operation of a document yields; compiled once, evaluated per request. */
export interface CostPlan {
  /** The operation's cost for these variable values; Infinity when the analysis gave up. */
  cost(variables: Variables): number;
  /** Schema coordinates ("Type.field") the operation selects. */
  coordinates: ReadonlySet<string>;
}

/**
 * Static cost of an operation, in the manner of the GraphQL cost-directives spec (IBM) and
 * Apollo's demand control:
 * - a field costs its `@cost` weight, else its type's `@cost` weight, else 1 for an object,
 *   interface or union and 0 for a scalar or enum; plus what is selected below it;
 * - a list field multiplies that by its size: the largest slicing argument given (literal,
 *   variable, or the argument's schema default), else `@listSize(assumedSize:)`, else the BFF's
 *   `defaultListSize`; each further list level multiplies by the assumed size again;
 * - `@listSize(sizedFields:)` moves the slicing arguments' size to those child fields (pages);
 * - fields merge by response key as in execution (fragments and repeated fields count once,
 *   aliases count every time); for an interface or union the most expensive concrete type counts;
 * - introspection (`__schema`, `__type`, `__typename`) costs nothing;
 * - `@skip`/`@include` with literal conditions are honoured; with variables the field counts
 *   (an upper bound, so the plan is the same for every request with this document).
 *
 * Variables are only read in `cost(variables)`, so one plan serves every request of a document.
 */
export function planCost(
  schema: GraphQLSchema,
  directives: CostDirectives,
  document: DocumentNode,
  operationName: string | null | undefined,
  options: CostOptions,
): CostPlan | undefined {
  const operation = getOperationAST(document, operationName);
  if (!operation) return undefined;
  const root = schema.getRootType(operation.operation);
  if (!root) return undefined;

  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) {
    if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);
  }
  const planner = new Planner(schema, directives, fragments, options);
  let amount: Amount;
  try {
    amount = sum([
      operation.operation === 'mutation' ? options.mutationCost : 0,
      planner.selection(root, operation.selectionSet.selections, NO_SIZES),
    ]);
  } catch (error) {
    if (error !== TOO_COMPLEX) throw error;
    amount = Infinity;
  }
  const coordinates: ReadonlySet<string> = planner.coordinates;
  return {
    cost: typeof amount === 'number' ? () => amount : (variables) => amount(variables ?? {}),
    coordinates,
  };
}

/** The cost of one request: `planCost(...).cost(variables)`, for callers that need it once. */
export function calculateCost(
  schema: GraphQLSchema,
  directives: CostDirectives,
  document: DocumentNode,
  options: CostOptions & { operationName?: string | null; variables?: Variables },
): number | undefined {
  return planCost(schema, directives, document, options.operationName, options)?.cost(options.variables);
}

/** A cost that is either known from the document alone or depends on variable values. */
type Amount = number | ((variables: Readonly<Record<string, unknown>>) => number);

const NO_SIZES: ReadonlyMap<string, Amount> = new Map();
const TOO_COMPLEX = Symbol('too complex');

class Planner {
  readonly coordinates = new Set<string>();
  private visits = 0;
  private readonly maxVisits: number;

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly directives: CostDirectives,
    private readonly fragments: ReadonlyMap<string, FragmentDefinitionNode>,
    private readonly options: CostOptions,
  ) {
    this.maxVisits = options.maxFieldVisits ?? 20_000;
  }

  /**
   * A selection set on `type`, plus what one value of each concrete type weighs (`weight`); for an
   * interface or union, the dearest concrete type. `sized` holds sizes handed down by a parent's
   * `sizedFields`.
   */
  selection(
    type: GraphQLCompositeType,
    selections: readonly SelectionNode[],
    sized: ReadonlyMap<string, Amount>,
    weight: (object: GraphQLObjectType) => number = () => 0,
  ): Amount {
    const concrete = isObjectType(type) ? [type] : this.schema.getPossibleTypes(type);
    return max(concrete.map((object) => sum([weight(object), this.objectSelection(object, type, selections, sized)])));
  }

  private objectSelection(
    object: GraphQLObjectType,
    declared: GraphQLCompositeType,
    selections: readonly SelectionNode[],
    sized: ReadonlyMap<string, Amount>,
  ): Amount {
    const fields = new Map<string, FieldNode[]>();
    this.collect(object, selections, fields, new Set());
    const parts: Amount[] = [];
    for (const nodes of fields.values()) parts.push(this.field(object, declared, nodes, sized));
    return sum(parts);
  }

  private field(object: GraphQLObjectType, declared: GraphQLCompositeType, nodes: FieldNode[], sized: ReadonlyMap<string, Amount>): Amount {
    const node = nodes[0]!;
    const name = node.name.value;
    // Introspection is answered from the gateway's memory, never by a source (and production
    // BFFs refuse it), so it costs nothing; depth and token limits bound its size.
    if (name === '__typename' || name === '__schema' || name === '__type') return 0;
    const definition = object.getFields()[name];
    if (!definition) return 0;
    if (++this.visits > this.maxVisits) throw TOO_COMPLEX;

    const coordinate = `${object.name}.${name}`;
    // An interface's field declares weights for every implementation that does not override them.
    const inherited = declared === object ? undefined : `${declared.name}.${name}`;
    this.coordinates.add(coordinate);
    const { fields, types, listSizes } = this.directives;
    const named = getNamedType(definition.type);
    const fieldWeight = fields.get(coordinate) ?? (inherited ? fields.get(inherited) : undefined);
    const listSize = listSizes.get(coordinate) ?? (inherited ? listSizes.get(inherited) : undefined);

    // One value of the field: its weight plus what is selected below it.
    let item: Amount = fieldWeight ?? types.get(named.name) ?? 0;
    if (isCompositeType(named)) {
      let childSizes = NO_SIZES;
      if (listSize && listSize.sizedFields.length > 0) {
        const size = this.slicedSize(definition, node, listSize);
        childSizes = new Map(listSize.sizedFields.map((field) => [field, size]));
      }
      const selections = nodes.flatMap((each) => each.selectionSet?.selections ?? []);
      // Without a field weight, each concrete type weighs its own @cost (a union of a cheap and
      // a dear type costs the dear one), else the abstract type's, else 1.
      const typeWeight = (object: GraphQLObjectType) => fieldWeight ?? types.get(object.name) ?? types.get(named.name) ?? 1;
      item = this.selection(named, selections, childSizes, typeWeight);
    }

    const levels = listLevels(definition.type);
    if (levels === 0) return item;
    const assumed = listSize?.assumedSize ?? this.options.defaultListSize;
    // With sizedFields the slicing arguments size the children, not this field.
    const outer =
      sized.get(name) ?? (listSize && listSize.sizedFields.length === 0 ? this.slicedSize(definition, node, listSize) : assumed);
    let total = multiply(outer, item);
    for (let level = 1; level < levels; level++) total = multiply(assumed, total);
    return total;
  }

  /** Size from the slicing arguments: the largest one given, else `assumedSize`, else the default. */
  private slicedSize(definition: GraphQLField<unknown, unknown>, node: FieldNode, listSize: ListSize): Amount {
    const fallback = listSize.assumedSize ?? this.options.defaultListSize;
    const sizes: Amount[] = [];
    for (const argumentName of listSize.slicingArguments) {
      const argument = definition.args.find((arg) => arg.name === argumentName);
      if (!argument) continue;
      const schemaDefault = sizeOfValue(argument.defaultValue);
      const given = node.arguments?.find((arg) => arg.name.value === argumentName)?.value;
      if (given) {
        sizes.push(sizeOfNode(given, schemaDefault ?? fallback));
      } else if (schemaDefault !== undefined) {
        sizes.push(schemaDefault);
      }
    }
    return sizes.length === 0 ? fallback : max(sizes);
  }

  /** graphql-js `collectFields` for one concrete type: fields by response key, fragments expanded. */
  private collect(object: GraphQLObjectType, selections: readonly SelectionNode[], out: Map<string, FieldNode[]>, visited: Set<string>): void {
    for (const selection of selections) {
      if (skipped(selection)) continue;
      switch (selection.kind) {
        case Kind.FIELD: {
          const key = selection.alias?.value ?? selection.name.value;
          const existing = out.get(key);
          if (existing) existing.push(selection);
          else out.set(key, [selection]);
          break;
        }
        case Kind.INLINE_FRAGMENT:
          if (!selection.typeCondition || this.applies(selection.typeCondition.name.value, object)) {
            this.collect(object, selection.selectionSet.selections, out, visited);
          }
          break;
        case Kind.FRAGMENT_SPREAD: {
          const name = selection.name.value;
          const fragment = this.fragments.get(name);
          if (visited.has(name) || !fragment || !this.applies(fragment.typeCondition.name.value, object)) break;
          visited.add(name);
          this.collect(object, fragment.selectionSet.selections, out, visited);
          break;
        }
      }
    }
  }

  private applies(condition: string, object: GraphQLObjectType): boolean {
    if (condition === object.name) return true;
    const type = this.schema.getType(condition);
    return type !== undefined && isAbstractType(type) && this.schema.isSubType(type, object);
  }
}

function listLevels(type: GraphQLOutputType): number {
  let levels = 0;
  let current = getNullableType(type);
  while (isListType(current)) {
    levels++;
    current = getNullableType(current.ofType);
  }
  return levels;
}

function skipped(selection: SelectionNode): boolean {
  for (const directive of selection.directives ?? []) {
    const condition = directive.arguments?.find((arg) => arg.name.value === 'if')?.value;
    if (condition?.kind !== Kind.BOOLEAN) continue;
    if (directive.name.value === 'skip' && condition.value) return true;
    if (directive.name.value === 'include' && !condition.value) return true;
  }
  return false;
}

/** A number of items from an argument value: a non-negative integer, or a list's length. */
function sizeOfValue(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return Math.max(0, Math.floor(value));
  if (Array.isArray(value)) return value.length;
  return undefined;
}

function sizeOfNode(node: ValueNode, fallback: number): Amount {
  switch (node.kind) {
    case Kind.INT:
      return Math.max(0, Number.parseInt(node.value, 10));
    case Kind.LIST:
      return node.values.length;
    case Kind.VARIABLE: {
      const name = node.name.value;
      return (variables) => sizeOfValue(variables[name]) ?? fallback;
    }
    default:
      // null or a value of the wrong type: execution applies the default or rejects the query.
      return fallback;
  }
}

function sum(parts: readonly Amount[]): Amount {
  let constant = 0;
  const dynamic: ((variables: Readonly<Record<string, unknown>>) => number)[] = [];
  for (const part of parts) {
    if (typeof part === 'number') constant += part;
    else dynamic.push(part);
  }
  if (dynamic.length === 0) return constant;
  return (variables) => {
    let total = constant;
    for (const part of dynamic) total += part(variables);
    return total;
  };
}

function max(parts: readonly Amount[]): Amount {
  if (parts.length === 0) return 0;
  if (parts.every((part): part is number => typeof part === 'number')) return Math.max(...parts);
  return (variables) => Math.max(...parts.map((part) => (typeof part === 'number' ? part : part(variables))));
}

function multiply(size: Amount, body: Amount): Amount {
  if (typeof size === 'number' && typeof body === 'number') return size * body;
  if (size === 0 || body === 0) return 0;
  return (variables) => (typeof size === 'number' ? size : size(variables)) * (typeof body === 'number' ? body : body(variables));
}
