import { Kind, parse, type FragmentDefinitionNode, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { checkPlanBudget } from '../../src/compose/checkPlanBudget.js';
import { PlanTooLarge } from '../../src/sources/federation/planner/normalizeOperation.js';

/** What the budget check says of a document: 'ok', or the limit it refuses it by. */
function verdict(source: string, budget: { maxFields: number; maxDepth: number }, variables: Record<string, unknown> = {}): string {
  const document = parse(source);
  const operation = document.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)!;
  const fragments = new Map(
    document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((f) => [f.name.value, f]),
  );
  try {
    checkPlanBudget(operation, fragments, variables, budget);
    return 'ok';
  } catch (error) {
    if (!(error instanceof PlanTooLarge)) throw error;
    return `${error.limit} > ${error.max}`;
  }
}

describe('checkPlanBudget', () => {
  it.each([
    ['fields at the limit pass', '{ a { b c } }', { maxFields: 3, maxDepth: 5 }, {}, 'ok'],
    ['one field more is refused', '{ a { b c d } }', { maxFields: 3, maxDepth: 5 }, {}, 'fields > 3'],
    ['a fragment counts once per place it is spread', '{ x: a { ...F } y: a { ...F } } fragment F on A { b c }', { maxFields: 5, maxDepth: 5 }, {}, 'fields > 5'],
    ['the same fragment spread twice in one selection set counts once', '{ a { ...F ...F } } fragment F on A { b c }', { maxFields: 3, maxDepth: 5 }, {}, 'ok'],
    ['fields @skip-ped by a variable do not count', 'query ($s: Boolean!) { a { b c d @skip(if: $s) } }', { maxFields: 3, maxDepth: 5 }, { s: true }, 'ok'],
    ['fields @include-d by a variable count', 'query ($i: Boolean!) { a { b c d @include(if: $i) } }', { maxFields: 3, maxDepth: 5 }, { i: true }, 'fields > 3'],
    ['nesting at the limit passes (fields and fragments alike)', '{ a { ... on A { b } } }', { maxFields: 9, maxDepth: 2 }, {}, 'ok'],
    ['one level deeper is refused', '{ a { ... on A { b { c } } } }', { maxFields: 9, maxDepth: 2 }, {}, 'depth > 2'],
  ])('%s', (_name, source, budget, variables, expected) => {
    expect(verdict(source, budget, variables)).toBe(expected);
  });
});
