import { getNamedType, getNullableType, isLeafType, isListType, isObjectType, type GraphQLNamedType, type GraphQLObjectType, type GraphQLOutputType } from 'graphql';
import type { Fail } from './readConnectDirective.js';
import type { Selection } from './parseSelection.js';

/**
 * Checks a selection's output keys against the GraphQL type it fills, as Apollo's composition
 * does: every key a field of the type, object fields with a sub-selection, leaf fields without.
 */
export function checkSelection(selection: Selection, type: GraphQLOutputType | GraphQLNamedType, where: string, fail: Fail): void {
  const named = getNamedType(type);
  const nullable = getNullableType(type);
  if (!isObjectType(named) && !isLeafType(named)) fail(where, `returns ${named.name}`, 'abstract types (interfaces, unions) are not supported');
  if (selection.kind === 'path') {
    if (selection.sub) return checkSelection(selection.sub, type, where, fail);
    if (isObjectType(named)) fail(where, 'selection', `${named.name} is an object: select its fields`);
    return;
  }
  if (!isObjectType(named)) return fail(where, 'selection', `${named.name} is a leaf: select one value with a path such as "$.value"`);
  const fields = named.getFields();
  for (const { name, value } of selection.fields) {
    const field = fields[name];
    if (!field) fail(where, `selection "${name}"`, `${named.name} has no field "${name}"`);
    const isObjectField = isObjectType(getNamedType(field!.type));
    const hasSub = value.kind === 'object' || value.sub !== undefined;
    if (isObjectField && !hasSub) fail(where, `selection "${name}"`, `${named.name}.${name} is an object: give it a sub-selection { … }`);
    if (!isObjectField && hasSub) fail(where, `selection "${name}"`, `${named.name}.${name} is a leaf: it takes no sub-selection`);
    if (hasSub) checkSelection(value.kind === 'object' ? value : value.sub!, field!.type, where, fail);
  }
  if (isListType(nullable) && selection.fields.length === 0) fail(where, 'selection', 'selects nothing');
}

/** `entity: true`: the field returns an object type and each argument names one of its fields. */
export function checkEntityField(key: string, args: string[], type: GraphQLNamedType, fail: Fail): void {
  if (!isObjectType(type)) fail(key, '@connect(entity: true)', 'the field must return an object type');
  for (const arg of args) {
    if (!(type as GraphQLObjectType).getFields()[arg]) fail(key, '@connect(entity: true)', `argument "${arg}" names no field of ${type.name}`);
  }
}
