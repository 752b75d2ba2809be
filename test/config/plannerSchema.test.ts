import { describe, expect, it } from 'vitest';
import { plannerSchema } from '../../src/config/plannerSchema.js';
import { defaultPlanCacheLimits } from '../../src/sources/federation/planner/createPlannedExecute.js';
import { defaultPlanBudget } from '../../src/sources/federation/planner/normalizeOperation.js';

describe('plannerSchema', () => {
  it('defaults to the planners\' own limits, so a BFF without `planner` plans as documented', () => {
    expect(plannerSchema.parse(undefined)).toEqual({ planCache: { ...defaultPlanCacheLimits }, planBudget: { ...defaultPlanBudget } });
  });

  it('keeps the defaults of the keys not given', () => {
    expect(plannerSchema.parse({ planBudget: { maxFields: 50 } }).planBudget).toEqual({ maxFields: 50, maxDepth: defaultPlanBudget.maxDepth });
  });

  it.each([
    [{ planCache: { maxEntries: 0 } }, 'planCache.maxEntries'],
    [{ planCache: { maxBytes: 1.5 } }, 'planCache.maxBytes'],
    [{ planBudget: { maxDepth: -1 } }, 'planBudget.maxDepth'],
    [{ planBudget: { fields: 10 } }, 'planBudget'],
  ])('refuses %j at %s', (input, key) => {
    const result = plannerSchema.safeParse(input);
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path.join('.')).toBe(key);
  });
});
