import {
  Kind,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { isIncluded } from '../context/isIncluded.js';
import { PlanTooLarge, type PlanBudget } from '../sources/federation/planner/normalizeOperation.js';

/**
 * Refuses (throws PlanTooLarge) a client operation whose fields, once every fragment is expanded
 * where it is spread, outnumber `budget.maxFields`, or whose selection sets nest deeper than
 * `budget.maxDepth`: the same budget, counted the same way, as the federation planner's
 * (normalizeOperation.ts), but over the whole client operation. The BFF planner plans its
 * resolver fields' subtrees only when the resolver runs, after the source part's fetches are
 * sent; counted here first, an operation over budget is refused before any source is called.
 *
 * Each fragment is measured once and its totals reused wherever it is spread, so a fan-out of a
 * million fields costs the size of the document, not the million.
 */
export function checkPlanBudget(
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
  variables: Record<string, unknown>,
  budget: Readonly<PlanBudget>,
): void {
  const measured = new Map<string, Size>();
  const measuring = new Set<string>();

  const measureSet = (selectionSet: SelectionSetNode): Size => {
    const size: Size = { fields: 0, depth: 0 };
    // graphql-js collects a named fragment once per selection set; so does the planner.
    const spread = new Set<string>();
    for (const selection of selectionSet.selections) {
      if (!isIncluded(selection, variables)) continue;
      let inner: Size;
      if (selection.kind === Kind.FIELD) {
        inner = selection.selectionSet ? measureSet(selection.selectionSet) : { fields: 0, depth: -1 };
        size.fields += 1;
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        inner = measureSet(selection.selectionSet);
      } else {
        if (spread.has(selection.name.value)) continue;
        spread.add(selection.name.value);
        inner = measureFragment(selection.name.value);
      }
      size.fields += inner.fields;
      size.depth = Math.max(size.depth, inner.depth + 1);
    }
    return size;
  };

  const measureFragment = (name: string): Size => {
    const known = measured.get(name);
    if (known) return known;
    const fragment = fragments.get(name);
    if (!fragment || !isIncluded(fragment, variables)) return { fields: 0, depth: -1 };
    // Validation refuses fragment cycles; a document that was not validated is refused here.
    if (measuring.has(name)) throw new PlanTooLarge('depth', budget.maxDepth);
    measuring.add(name);
    const size = measureSet(fragment.selectionSet);
    measuring.delete(name);
    measured.set(name, size);
    return size;
  };

  const size = measureSet(operation.selectionSet);
  if (size.depth > budget.maxDepth) throw new PlanTooLarge('depth', budget.maxDepth);
  if (size.fields > budget.maxFields) throw new PlanTooLarge('fields', budget.maxFields);
}

/** Fields under a selection set, and how many selection sets (fields' and fragments') nest below it. */
interface Size {
  fields: number;
  depth: number;
}

