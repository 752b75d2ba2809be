import { describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { fallbackReasonLabel, planMetrics } from '../../src/observability/planMetrics.js';

describe('plan metrics', () => {
  it.each([
    ['introspection', 'introspection'],
    ['@defer', 'defer_stream'],
    ['@live', 'directive'],
    ['entity interface (@key on an interface)', 'entity_interface'],
    ['fragment on Node inside SearchResult', 'nested_abstract_fragment'],
    ['alias __pq_evil_client_chosen_text', 'reserved_name'],
    ['resolver delegation: Query.x is not in the supergraph', 'resolver_delegation'],
    ['Query.x is not in the supergraph', 'unowned_field'],
    ['planner error: boom', 'planner_error'],
    ['something new', 'other'],
  ])('classes %j as %s', (reason, label) => {
    expect(fallbackReasonLabel(reason)).toBe(label);
  });

  it('never uses client text as a label value', () => {
    const labels = new Set(['alias __pq_a', 'alias __pq_b', 'unknown fragment Evil1', 'unknown fragment Evil2'].map(fallbackReasonLabel));
    expect(labels.size).toBeLessThanOrEqual(2);
  });

  it('registers each series once per registry', () => {
    const registry = new Registry();
    expect(planMetrics(registry)).toBe(planMetrics(registry));
    expect(registry.getSingleMetric('portico_operations_total')).toBeDefined();
    expect(registry.getSingleMetric('portico_plan_fallbacks_total')).toBeDefined();
  });
});
