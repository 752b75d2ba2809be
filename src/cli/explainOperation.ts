import { getOperationAST, getVariableValues, parse, validate, type DocumentNode, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { LoadedBff, PorticoConfig } from '../config/loadConfig.js';
import type { RateLimitTier } from '../config/rateLimitSchema.js';
import { bffSdlsOf } from '../compose/bffSdls.js';
import { planCost } from '../plugins/cost/calculateCost.js';
import { collectCostDirectives } from '../plugins/cost/collectCostDirectives.js';
import { collectFieldPolicy } from '../plugins/authz/collectFieldPolicy.js';
import { compileFieldRules } from '../plugins/authz/compileFieldRules.js';
import { AUTHENTICATED, PUBLIC, describeRule } from '../plugins/authz/fieldRule.js';
import { guardedFieldsOf, fragmentsOf } from '../plugins/authz/guardedFields.js';
import { NotPlannable } from '../sources/federation/planner/normalizeOperation.js';
import { planOperation } from '../sources/federation/planner/planOperation.js';
import { readSupergraphModel } from '../sources/federation/planner/supergraphModel.js';
import { buildTraceableBff, type TracedCall } from './traceSourceCalls.js';

/** One call the operation makes to a source, traced through the BFF's execution (plan or stitching). */
export type PlannedFetch = TracedCall;

/** What `portico plan` reports about one operation on one BFF. Nothing in it called a source. */
export interface OperationPlan {
  bff: string;
  operationName: string | null;
  operationType: 'query' | 'mutation' | 'subscription';
  execution: { mode: 'plan' | 'stitching'; reason: string };
  fetches: PlannedFetch[];
  /** Calls each upstream receives for data with one distinct value per placeholder. */
  callsBySource: Record<string, number>;
  cost: { estimated: number | null; max: number; refused: boolean };
  rateLimit: TierCharge[];
  /** The fields not everyone may read, and what reading each requires. */
  authorization: { defaultPolicy: 'authenticated' | 'public'; fields: { field: string; requires: string; scopes: string[][][]; roles: string[] }[] };
  /** Errors the placeholder run raised (a resolver of the BFF failing on placeholder data, say). */
  traceErrors: string[];
}

export interface TierCharge {
  tier: string;
  kind: RateLimitTier['kind'];
  /** Who the tier charges: "every caller", "plan pro", "anonymous callers", or why it does not apply. */
  appliesTo: string;
  charge: number;
  limit: number | 'unlimited';
  windowSeconds?: number;
  /** How many of this operation a full bucket admits per window. */
  perWindow?: number;
}

/** The operation is not valid for the BFF, or the input is unusable. */
export class PlanInputError extends Error {
  override readonly name = 'PlanInputError';
}

export interface ExplainInput {
  bff: string;
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

/**
 * Explains what `input.query` would do on a BFF: builds the BFF's schema as start-up does (no
 * server, no source called), then reports the fetches (traced through the BFF's own execution,
 * its query planner or stitching, over placeholder data: traceSourceCalls.ts), the static cost,
 * the charge per rate-limit tier and the scopes field authorization requires.
 */
export async function explainOperation(config: PorticoConfig, input: ExplainInput): Promise<OperationPlan> {
  const bff = config.bffs.find((candidate) => candidate.name === input.bff);
  if (!bff) throw new PlanInputError(`no BFF named "${input.bff}" (configured: ${config.bffs.map((b) => b.name).join(', ')})`);
  let document: DocumentNode;
  try {
    document = parse(input.query);
  } catch (error) {
    throw new PlanInputError(`the operation does not parse: ${(error as Error).message}`);
  }
  const traceable = buildTraceableBff(config, bff);
  const { schema } = traceable;
  const errors = validate(schema, document);
  if (errors.length > 0) throw new PlanInputError(`the operation is not valid for BFF ${bff.name}:\n${errors.map((e) => `  - ${e.message}`).join('\n')}`);
  const operation = getOperationAST(document, input.operationName);
  if (!operation) throw new PlanInputError(input.operationName ? `no operation named "${input.operationName}"` : 'the document holds several operations: pass --operation NAME');
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], input.variables ?? {});
  if (coerced.errors) throw new PlanInputError(`variables: ${coerced.errors.map((e) => e.message).join('; ')}`);
  const variables = coerced.coerced;

  const sdls = bffSdlsOf(bff, config.sources);
  const costPlan = planCost(schema, collectCostDirectives(sdls, bff.rename), document, input.operationName, bff.cost);
  const cost = costPlan ? costPlan.cost(variables) : 0;

  // Fetches are what the BFF's own execution sends over placeholder data: its query planner's
  // fetches when it has one and it supports the operation, stitching's otherwise.
  const traced = await traceable.trace(document, variables, input.operationName);
  let execution: OperationPlan['execution'];
  if (traced.ranBy === 'plan') {
    execution = { mode: 'plan', reason: 'the BFF has a query planner (docs/query-planner.md) and it supports this operation' };
  } else if (traceable.planner) {
    execution = { mode: 'stitching', reason: `the query planner does not support this operation: ${whyNotPlannable(traceable, bff, document, operation, variables)}` };
  } else {
    execution = { mode: 'stitching', reason: stitchingReason(config, bff) };
  }
  const fetches: PlannedFetch[] = traced.calls;
  const traceErrors = traced.errors;

  return {
    bff: bff.name,
    operationName: operation.name?.value ?? null,
    operationType: operation.operation,
    execution,
    fetches,
    callsBySource: callsBySource(fetches),
    cost: { estimated: Number.isFinite(cost) ? cost : null, max: bff.cost.maxCost, refused: cost > bff.cost.maxCost },
    rateLimit: tierCharges(bff, cost, costPlan?.coordinates ?? new Set()),
    authorization: authorization(schema, bff, sdls, document, operation),
    traceErrors,
  };
}

/** Why a BFF runs by stitching: the conditions under which composeBffSchema gives it no planner. */
function stitchingReason(config: PorticoConfig, bff: LoadedBff): string {
  const reasons: string[] = [];
  if (bff.sources.length !== 1) reasons.push(`it composes ${bff.sources.length} sources (${bff.sources.join(', ')}), and the planner knows one supergraph`);
  const only = bff.sources.length === 1 ? config.sources[bff.sources[0]!] : undefined;
  if (only && only.kind !== 'federation') reasons.push(`its source ${only.name} is a ${only.kind} source, not a federation supergraph`);
  if (only?.kind === 'federation' && !only.queryPlanner) reasons.push(`its source ${only.name} has queryPlanner off`);
  const module = bff.resolverModule;
  if (module?.['typeDefs'] !== undefined || module?.['resolvers'] !== undefined) reasons.push('it adds resolvers of its own');
  if (Object.keys(bff.rename).length > 0) reasons.push('it renames fields');
  return reasons.length > 0 ? reasons.join('; ') : 'the BFF was composed without a planner';
}

/** The planner's own reason, where the BFF serves one supergraph (its model is at hand); else a general one. */
function whyNotPlannable(
  traceable: ReturnType<typeof buildTraceableBff>,
  bff: LoadedBff,
  document: DocumentNode,
  operation: OperationDefinitionNode,
  variables: Record<string, unknown>,
): string {
  const federation = bff.sources.length === 1 ? traceable.runtimes.get(bff.sources[0]!)?.planner : undefined;
  if (!federation) return 'see the debug log of the running gateway';
  try {
    const supergraph = typeof federation.supergraphSdl === 'string' ? parse(federation.supergraphSdl) : federation.supergraphSdl;
    planOperation({ model: readSupergraphModel(supergraph), operation, fragments: fragmentsOf(document), variables });
    return 'the planner gave it to stitching';
  } catch (error) {
    return error instanceof NotPlannable ? error.message : `planner error: ${(error as Error).message}`;
  }
}

function callsBySource(fetches: readonly PlannedFetch[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const fetch of fetches) {
    if (fetch.sharedWith !== undefined) continue;
    counts[fetch.source] = (counts[fetch.source] ?? 0) + 1;
  }
  return counts;
}

function tierCharges(bff: LoadedBff, cost: number, coordinates: ReadonlySet<string>): TierCharge[] {
  const charges: TierCharge[] = [];
  const quota = (tier: string, kind: TierCharge['kind'], appliesTo: string, limit: number, windowSeconds: number) =>
    charges.push({ tier, kind, appliesTo, charge: cost, limit, windowSeconds, perWindow: Math.floor(limit / Math.max(cost, 1)) });
  for (const tier of bff.rateLimit?.tiers ?? []) {
    switch (tier.kind) {
      case 'global':
        quota(tier.name, tier.kind, 'every caller (one bucket for the BFF)', tier.limit, tier.windowSeconds);
        break;
      case 'anonymous':
        quota(tier.name, tier.kind, 'anonymous callers (a bucket per address)', tier.limit, tier.windowSeconds);
        break;
      case 'tenant':
        for (const [plan, planQuota] of Object.entries(tier.plans)) {
          if (planQuota === 'unlimited') charges.push({ tier: tier.name, kind: tier.kind, appliesTo: `plan ${plan}`, charge: 0, limit: 'unlimited' });
          else quota(tier.name, tier.kind, `plan ${plan} (a bucket per tenant)`, planQuota.limit, planQuota.windowSeconds);
        }
        if (tier.otherPlans === 'unlimited') charges.push({ tier: tier.name, kind: tier.kind, appliesTo: 'other plans', charge: 0, limit: 'unlimited' });
        else if (tier.otherPlans) quota(tier.name, tier.kind, 'other plans (a bucket per tenant)', tier.otherPlans.limit, tier.otherPlans.windowSeconds);
        break;
      case 'field': {
        const name = tier.name ?? `field:${tier.field}`;
        if (coordinates.has(tier.field)) quota(name, tier.kind, `callers selecting ${tier.field} (a bucket per caller)`, tier.limit, tier.windowSeconds);
        else charges.push({ tier: name, kind: tier.kind, appliesTo: `not charged: the operation does not select ${tier.field}`, charge: 0, limit: tier.limit, windowSeconds: tier.windowSeconds });
        break;
      }
    }
  }
  return charges;
}

function authorization(
  schema: GraphQLSchema,
  bff: LoadedBff,
  sdls: ReturnType<typeof bffSdlsOf>,
  document: DocumentNode,
  operation: NonNullable<ReturnType<typeof getOperationAST>>,
): OperationPlan['authorization'] {
  const defaultPolicy = bff.authz.defaultPolicy;
  const rules = compileFieldRules(schema, collectFieldPolicy(sdls), defaultPolicy === 'public' ? PUBLIC : AUTHENTICATED);
  const seen = new Set<string>();
  const fields: OperationPlan['authorization']['fields'] = [];
  for (const guarded of guardedFieldsOf(schema, document, operation, rules)) {
    if (seen.has(guarded.coordinate)) continue;
    seen.add(guarded.coordinate);
    fields.push({
      field: guarded.coordinate,
      requires: describeRule(guarded.rule),
      scopes: guarded.rule.scopes.map((alternatives) => alternatives.map((all) => [...all])),
      roles: [...guarded.rule.roles],
    });
  }
  return { defaultPolicy, fields };
}
