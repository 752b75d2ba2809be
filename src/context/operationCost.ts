/**
 * The cost of one operation, computed in validation (src/plugins/cost) and charged by the rate
 * limiter (src/plugins/rate-limit) before execution. The two plugins never import each other; they
 * meet here, keyed by the operation's context object (one per operation, also inside a batch).
 */
export interface OperationCost {
  /** What the operation costs for the variables it was sent with. */
  cost: number;
  /** Schema coordinates ("Type.field") the operation selects, for per-field rate-limit tiers. */
  coordinates: ReadonlySet<string>;
}

const costs = new WeakMap<object, OperationCost>();

export function recordOperationCost(context: object, cost: OperationCost): void {
  costs.set(context, cost);
}

/** Undefined when no cost analysis ran for this operation (then the limiter charges 1). */
export function operationCostOf(context: object): OperationCost | undefined {
  return costs.get(context);
}
