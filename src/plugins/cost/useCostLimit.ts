import { handleStreamOrSingleExecutionResult } from '@envelop/core';
import type { DocumentNode, GraphQLSchema } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { CostConfig } from '../../config/costSchema.js';
import { operationCostOf, recordOperationCost } from '../../context/operationCost.js';
import { porticoError } from '../../errors/index.js';
import { planCost, type CostDirectives, type CostPlan } from './calculateCost.js';

/**
 * The BFF's cost config (src/config/costSchema.ts documents each key and its default) plus the
 * weights read from its SDL at compose time (`collectCostDirectives(bffSdlsOf(bff, sources))`).
 */
export interface CostLimitOptions extends CostConfig {
  directives: CostDirectives;
}

interface RequestParams {
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

/**
 * Prices every operation in validation and refuses one that costs more than `maxCost` with
 * COST_LIMIT_EXCEEDED (400) and `extensions.cost: { estimated, max }` as execution starts, before
 * any resolver, so no source is ever called for it. The analysis runs once per document and
 * operation (the parser cache hands back the same DocumentNode for the same text); each request
 * only evaluates it against its variables. The cost is recorded for the rate limiter
 * (src/context/operationCost.ts), which runs after this plugin's refusal, so a refused operation
 * is never charged.
 *
 * Why the refusal is not a validation error: yoga caches validation results per document, and a
 * cost depends on the variables; an error added there would be served to the next request with
 * the same document whatever its variables.
 */
export function useCostLimit(options: CostLimitOptions): Plugin {
  const { directives, maxCost, exposeInExtensions } = options;
  const plans = new WeakMap<GraphQLSchema, WeakMap<DocumentNode, Map<string, CostPlan | null>>>();

  const planFor = (schema: GraphQLSchema, document: DocumentNode, operationName: string | null | undefined) => {
    let bySchema = plans.get(schema);
    if (!bySchema) plans.set(schema, (bySchema = new WeakMap()));
    let byOperation = bySchema.get(document);
    if (!byOperation) bySchema.set(document, (byOperation = new Map()));
    const key = operationName ?? '';
    let plan = byOperation.get(key);
    if (plan === undefined) {
      plan = planCost(schema, directives, document, operationName, options) ?? null;
      byOperation.set(key, plan);
    }
    return plan;
  };
  const figures = (cost: number) => ({ estimated: Number.isFinite(cost) ? cost : null, max: maxCost });

  /** The error that replaces the operation's result, or undefined when it may run. */
  const refusal = (context: object) => {
    const recorded = operationCostOf(context);
    if (!recorded || recorded.cost <= maxCost) return undefined;
    return porticoError('COST_LIMIT_EXCEEDED', { details: { cost: figures(recorded.cost) } });
  };

  return {
    onValidate({ params, context }) {
      return ({ valid }) => {
        // An invalid document gets its validation errors; pricing it would only add noise.
        if (!valid) return;
        const request = (context as { params?: RequestParams }).params;
        const plan = planFor(params.schema, params.documentAST, request?.operationName);
        if (plan) recordOperationCost(context, { cost: plan.cost(request?.variables), coordinates: plan.coordinates });
      };
    },
    onExecute({ args, setResultAndStopExecution }) {
      const context = args.contextValue as object;
      const error = refusal(context);
      if (error) {
        setResultAndStopExecution({ errors: [error] });
        return;
      }
      const recorded = exposeInExtensions ? operationCostOf(context) : undefined;
      if (!recorded) return;
      return {
        onExecuteDone(payload) {
          return handleStreamOrSingleExecutionResult(payload, ({ result, setResult }) => {
            setResult({ ...result, extensions: { ...result.extensions, cost: figures(recorded.cost) } });
          });
        },
      };
    },
    onSubscribe({ args, setResultAndStopExecution }) {
      const error = refusal(args.contextValue as object);
      if (error) setResultAndStopExecution({ errors: [error] });
    },
  };
}
