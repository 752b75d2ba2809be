import { Counter, register as defaultRegister, type Registry } from 'prom-client';

/**
 * How operations executed, per BFF (prom-client, the default registry the admin listener serves):
 *
 *   portico_operations_total{bff,engine}          executed operations: `plan` when the query
 *                                                 planner ran all of it, `stitch` when any part
 *                                                 (or all) ran by stitching
 *   portico_plan_fallbacks_total{bff,reason}      the parts that fell back, by reason class
 *
 * `reason` is a class from a fixed list (`fallbackReasonLabel`), never the planner's message,
 * which can quote client input (an alias, a fragment name) and so would be unbounded.
 */
export interface PlanMetrics {
  operations: Counter<'bff' | 'engine'>;
  fallbacks: Counter<'bff' | 'reason'>;
}

const byRegistry = new WeakMap<Registry, PlanMetrics>();

export function planMetrics(registry: Registry = defaultRegister): PlanMetrics {
  const cached = byRegistry.get(registry);
  if (cached) return cached;
  const registers = [registry];
  // Another module graph in this process (vitest, tsx) may have registered the series first.
  const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
  const metrics: PlanMetrics = {
    operations:
      existing('portico_operations_total') ??
      new Counter({
        name: 'portico_operations_total',
        help: 'Operations executed per BFF and engine: plan (all of it by query plan) or stitch (some or all by stitching).',
        labelNames: ['bff', 'engine'],
        registers,
      }),
    fallbacks:
      existing('portico_plan_fallbacks_total') ??
      new Counter({
        name: 'portico_plan_fallbacks_total',
        help: 'Operation parts the query planner handed to stitching, per BFF and reason class.',
        labelNames: ['bff', 'reason'],
        registers,
      }),
  };
  byRegistry.set(registry, metrics);
  return metrics;
}

/** Reason classes, first match wins; anything else is `other`. */
const REASONS: readonly (readonly [RegExp, string])[] = [
  [/^engine stitch$/, 'engine_stitch'],
  [/introspection/, 'introspection'],
  [/^subscription/, 'subscription'],
  [/^@(defer|stream)/, 'defer_stream'],
  [/^@/, 'directive'],
  [/entity interface/, 'entity_interface'],
  [/@interfaceObject/, 'interface_object'],
  [/@override/, 'progressive_override'],
  [/@fromContext/, 'from_context'],
  [/^fragment on .* inside/, 'nested_abstract_fragment'],
  [/alias|\$representations/, 'reserved_name'],
  [/resolver delegation/, 'resolver_delegation'],
  [/selectionSet/, 'resolver_selection_set'],
  [/is not in the supergraph|unknown type/, 'unowned_field'],
  [/different types|is an? (object|interface)/, 'type_conflict'],
  [/join spec/, 'federation_1'],
  [/invalid variables|no operation/, 'invalid_request'],
  [/^planner error/, 'planner_error'],
];

export function fallbackReasonLabel(reason: string | undefined): string {
  if (reason === undefined) return 'unknown';
  for (const [pattern, label] of REASONS) if (pattern.test(reason)) return label;
  return 'other';
}
