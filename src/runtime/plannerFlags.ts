/**
 * `portico serve`'s planner flags, each with the config key it sets (src/config/plannerSchema.ts):
 * the flags are parsed from this list (src/main.ts), and a bad value is reported against its flag
 * (src/runtime/supergraphConfig.ts).
 */
export const PLANNER_FLAGS = [
  ['planCache', 'maxEntries', 'plan-cache-entries'],
  ['planCache', 'maxBytes', 'plan-cache-bytes'],
  ['planCache', 'maxPerDocument', 'plan-cache-per-document'],
  ['planBudget', 'maxFields', 'plan-max-fields'],
  ['planBudget', 'maxDepth', 'plan-max-depth'],
] as const;
