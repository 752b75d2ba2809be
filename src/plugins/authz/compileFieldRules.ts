import { isInterfaceType, isObjectType, type GraphQLSchema } from 'graphql';
import { bothRules, type FieldRule } from './fieldRule.js';

/**
 * The rule of every field the BFF's schema serves: the declared one, else the BFF's default.
 * An interface field is read from whichever object a value turns out to be, so it takes every
 * implementation's rule as well as its own. Built once per schema.
 */
export function compileFieldRules(
  schema: GraphQLSchema,
  declared: ReadonlyMap<string, FieldRule>,
  defaultRule: FieldRule,
): Map<string, FieldRule> {
  const rules = new Map<string, FieldRule>();
  const types = Object.values(schema.getTypeMap()).filter((type) => !type.name.startsWith('__'));
  for (const type of types) {
    if (!isObjectType(type) && !isInterfaceType(type)) continue;
    for (const field of Object.keys(type.getFields())) {
      const coordinate = `${type.name}.${field}`;
      rules.set(coordinate, declared.get(coordinate) ?? defaultRule);
    }
  }
  for (const type of types) {
    if (!isInterfaceType(type)) continue;
    for (const field of Object.keys(type.getFields())) {
      let rule = rules.get(`${type.name}.${field}`)!;
      for (const implementation of schema.getPossibleTypes(type)) {
        const own = rules.get(`${implementation.name}.${field}`);
        if (own) rule = bothRules(rule, own);
      }
      rules.set(`${type.name}.${field}`, rule);
    }
  }
  return rules;
}
