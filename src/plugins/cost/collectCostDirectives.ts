import {
  Kind,
  isTypeDefinitionNode,
  isTypeExtensionNode,
  parse,
  type ConstDirectiveNode,
  type ConstValueNode,
  type DocumentNode,
  type FieldDefinitionNode,
  type TypeNode,
} from 'graphql';
import type { CostDirectives, ListSize } from './calculateCost.js';

/** One SDL to read weights from, named for error messages. */
export interface CostSdl {
  /** e.g. "source users", "BFF web typeDefs". */
  origin: string;
  sdl: string | DocumentNode;
}

// The names a federation subgraph gets when it imports the directives under the default prefix.
const COST = new Set(['cost', 'federation__cost']);
const LIST_SIZE = new Set(['listSize', 'federation__listSize']);

/**
 * Reads `@cost` and `@listSize` from the SDL ASTs a BFF is composed of: its sources' files in
 * schemas/ and its own typeDefs. It reads the files, not the stitched schema, because stitching and
 * the REST engine do not promise to keep directives. Renames are applied, so the result is keyed by
 * the coordinates clients query. Where two SDLs weigh the same coordinate differently (a type
 * several sources share), the higher weight wins.
 *
 * Throws on a malformed directive (a weight that is not an integer, a slicing argument the field
 * does not have), naming the SDL and the coordinate, so the mistake stops start-up.
 */
export function collectCostDirectives(sdls: readonly CostSdl[], rename: Readonly<Record<string, string>> = {}): CostDirectives {
  const types = new Map<string, number>();
  const fields = new Map<string, number>();
  const listSizes = new Map<string, ListSize>();
  const higher = (map: Map<string, number>, key: string, weight: number) => map.set(key, Math.max(weight, map.get(key) ?? weight));

  for (const { origin, sdl } of sdls) {
    const document = typeof sdl === 'string' ? parse(sdl) : sdl;
    for (const definition of document.definitions) {
      if (!isTypeDefinitionNode(definition) && !isTypeExtensionNode(definition)) continue;
      if (definition.kind === Kind.INPUT_OBJECT_TYPE_DEFINITION || definition.kind === Kind.INPUT_OBJECT_TYPE_EXTENSION) continue;
      const typeName = definition.name.value;
      const typeWeight = weightOf(definition.directives, origin, typeName);
      if (typeWeight !== undefined) higher(types, typeName, typeWeight);

      const fieldNodes: readonly FieldDefinitionNode[] = 'fields' in definition ? (definition.fields ?? []) : [];
      for (const field of fieldNodes) {
        const sourceCoordinate = `${typeName}.${field.name.value}`;
        const coordinate = `${typeName}.${rename[sourceCoordinate] ?? field.name.value}`;
        const weight = weightOf(field.directives, origin, sourceCoordinate);
        if (weight !== undefined) higher(fields, coordinate, weight);
        const listSize = listSizeOf(field, origin, sourceCoordinate, rename);
        if (listSize) listSizes.set(coordinate, mergeListSizes(listSizes.get(coordinate), listSize));
      }
    }
  }
  return { types, fields, listSizes };
}

function weightOf(directives: readonly ConstDirectiveNode[] | undefined, origin: string, at: string): number | undefined {
  const directive = directives?.find((each) => COST.has(each.name.value));
  if (!directive) return undefined;
  const value = directive.arguments?.find((arg) => arg.name.value === 'weight')?.value;
  if (value?.kind !== Kind.INT || Number.parseInt(value.value, 10) < 0) {
    throw new Error(`${origin}: ${at}: @cost(weight:) must be a non-negative integer`);
  }
  return Number.parseInt(value.value, 10);
}

function listSizeOf(field: FieldDefinitionNode, origin: string, at: string, rename: Readonly<Record<string, string>>): ListSize | undefined {
  const directive = field.directives?.find((each) => LIST_SIZE.has(each.name.value));
  if (!directive) return undefined;
  const listSize: { assumedSize?: number; slicingArguments: string[]; sizedFields: string[] } = { slicingArguments: [], sizedFields: [] };
  for (const argument of directive.arguments ?? []) {
    const { value } = argument;
    switch (argument.name.value) {
      case 'assumedSize':
        if (value.kind === Kind.NULL) break;
        if (value.kind !== Kind.INT || Number.parseInt(value.value, 10) < 0) {
          throw new Error(`${origin}: ${at}: @listSize(assumedSize:) must be a non-negative integer`);
        }
        listSize.assumedSize = Number.parseInt(value.value, 10);
        break;
      case 'slicingArguments':
        listSize.slicingArguments = strings(value, origin, at, 'slicingArguments');
        for (const name of listSize.slicingArguments) {
          if (!field.arguments?.some((arg) => arg.name.value === name)) {
            throw new Error(`${origin}: ${at}: @listSize(slicingArguments:) names "${name}", which the field does not take`);
          }
        }
        break;
      case 'sizedFields': {
        const returned = namedTypeOf(field.type);
        listSize.sizedFields = strings(value, origin, at, 'sizedFields').map((name) => rename[`${returned}.${name}`] ?? name);
        break;
      }
      default:
        // requireOneSlicingArgument is a validation rule for clients, not a weight.
        break;
    }
  }
  return listSize;
}

function strings(value: ConstValueNode, origin: string, at: string, name: string): string[] {
  if (value.kind === Kind.NULL) return [];
  const items = value.kind === Kind.LIST ? value.values : [value];
  return items.map((item) => {
    if (item.kind !== Kind.STRING) throw new Error(`${origin}: ${at}: @listSize(${name}:) must be a list of strings`);
    return item.value;
  });
}

function namedTypeOf(type: TypeNode): string {
  return type.kind === Kind.NAMED_TYPE ? type.name.value : namedTypeOf(type.type);
}

function mergeListSizes(a: ListSize | undefined, b: ListSize): ListSize {
  if (!a) return b;
  const merged: ListSize = {
    slicingArguments: [...new Set([...a.slicingArguments, ...b.slicingArguments])],
    sizedFields: [...new Set([...a.sizedFields, ...b.sizedFields])],
  };
  const assumed = Math.max(a.assumedSize ?? -1, b.assumedSize ?? -1);
  return assumed >= 0 ? { ...merged, assumedSize: assumed } : merged;
}
