import {
  getNamedType,
  isAbstractType,
  isLeafType,
  isNonNullType,
  isObjectType,
  isInterfaceType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import { mulberry32 } from '../../bench/lib/mulberry32.js';

/** Argument sets per field coordinate (`Query.user`); a field with required arguments not listed is never selected. */
export type ArgumentTable = Readonly<Record<string, readonly Readonly<Record<string, unknown>>[]>>;

export interface RandomOperationsOptions {
  seed: number;
  count: number;
  args: ArgumentTable;
  /** @default 4 */
  maxDepth?: number;
}

/**
 * Random query documents over a schema, the same ones for the same seed: random root fields with
 * argument sets from `args`, random field subsets below them, with aliases, `__typename`, inline
 * fragments, `@include`/`@skip` and repeated fields sprinkled in. For differential tests: every
 * document must answer the same on both engines, whatever it asks.
 */
export function randomOperations(schema: GraphQLSchema, options: RandomOperationsOptions): string[] {
  const random = mulberry32(options.seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const maxDepth = options.maxDepth ?? 4;
  let aliasCount = 0;

  const usable = (typeName: string, field: GraphQLField<unknown, unknown>) =>
    options.args[`${typeName}.${field.name}`] !== undefined || field.args.every((arg) => !isNonNullType(arg.type) || arg.defaultValue !== undefined);

  const fieldText = (typeName: string, field: GraphQLField<unknown, unknown>, depth: number, forceAlias = false): string | undefined => {
    const named = getNamedType(field.type);
    if (!isLeafType(named) && depth >= maxDepth) return undefined;
    const argSets = options.args[`${typeName}.${field.name}`];
    const args = argSets ? pick(argSets) : {};
    const argText = Object.entries(args).map(([name, value]) => `${name}: ${JSON.stringify(value)}`).join(', ');
    const alias = forceAlias || random() < 0.15 ? `a${++aliasCount}: ` : '';
    const directive = random() < 0.05 ? ` @include(if: ${random() < 0.5})` : random() < 0.05 ? ` @skip(if: ${random() < 0.5})` : '';
    const head = `${alias}${field.name}${argText ? `(${argText})` : ''}${directive}`;
    if (isLeafType(named)) return head;
    const inner = selection(named, depth + 1);
    return inner ? `${head} { ${inner} }` : undefined;
  };

  const selection = (type: GraphQLNamedType, depth: number): string | undefined => {
    if (isAbstractType(type)) {
      const parts = schema.getPossibleTypes(type).map((member) => {
        const inner = selection(member, depth);
        return inner ? `... on ${member.name} { ${inner} }` : '';
      });
      return `__typename ${parts.join(' ')}`;
    }
    if (!isObjectType(type) && !isInterfaceType(type)) return undefined;
    const fields = Object.values(type.getFields()).filter((field) => !field.name.startsWith('_') && usable(type.name, field));
    const chosen: string[] = [];
    const used = new Set<string>();
    const wanted = 1 + Math.floor(random() * Math.min(4, fields.length));
    for (let i = 0; i < wanted * 2 && chosen.length < wanted; i++) {
      const field = pick(fields);
      // The same field twice needs an alias (its arguments may differ).
      const text = fieldText(type.name, field, depth, used.has(field.name));
      used.add(field.name);
      if (text) chosen.push(text);
    }
    if (chosen.length === 0) return undefined;
    if (random() < 0.1) chosen.push('__typename');
    if (random() < 0.1) chosen.push(`... on ${type.name} { ${chosen[0]} }`);
    return chosen.join(' ');
  };

  const query = schema.getQueryType()!;
  const roots = Object.values(query.getFields()).filter((field) => !field.name.startsWith('_') && usable(query.name, field));
  const documents: string[] = [];
  while (documents.length < options.count) {
    const parts: string[] = [];
    const rootCount = random() < 0.3 ? 2 : 1;
    const used = new Set<string>();
    for (let i = 0; i < rootCount; i++) {
      const field = pick(roots);
      const text = fieldText(query.name, field, 1, used.has(field.name));
      used.add(field.name);
      if (text) parts.push(text);
    }
    if (parts.length > 0) documents.push(`{ ${parts.join(' ')} }`);
  }
  return documents;
}
