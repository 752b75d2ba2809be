import type { OperationPlan } from './explainOperation.js';

/** `portico plan`'s human output: fetches by round, cost, rate-limit charges, required scopes. */
export function formatPlan(plan: OperationPlan): string {
  const lines: string[] = [];
  const name = plan.operationName ? ` ${plan.operationName}` : '';
  lines.push(`BFF ${plan.bff}: ${plan.operationType}${name}`);
  lines.push(`runs by ${plan.execution.mode}: ${plan.execution.reason}`);
  lines.push('');
  lines.push(`fetches (${plan.fetches.length}; a round starts once the round before it has answered):`);
  let round = 0;
  for (const fetch of plan.fetches) {
    if (fetch.round !== round) {
      round = fetch.round;
      lines.push(`  round ${round}`);
    }
    const notes: string[] = [];
    if (fetch.perDistinct) notes.push(`once per distinct ${fetch.perDistinct.join(', ')}`);
    if (fetch.sharedWith !== undefined) notes.push(`shares #${fetch.sharedWith}'s exchange (in-flight dedup): not sent again`);
    const head = fetch.kind === 'rest' ? `${fetch.method} ${fetch.url}` : `POST ${fetch.url}`;
    lines.push(`    #${fetch.seq} ${fetch.source.padEnd(14)} ${head}${notes.length ? `   (${notes.join('; ')})` : ''}`);
    if (fetch.query) for (const line of fetch.query.split('\n')) lines.push(`         ${line}`);
    if (fetch.variables) lines.push(`         variables: ${JSON.stringify(fetch.variables)}`);
  }
  lines.push(`calls per source (a call made per value counted once): ${Object.entries(plan.callsBySource).map(([source, count]) => `${source} ${count}`).join(', ') || 'none'}`);
  if (plan.traceErrors.length > 0) lines.push(`errors while tracing over placeholder data: ${plan.traceErrors.join('; ')}`);
  lines.push('');
  const estimated = plan.cost.estimated === null ? 'unbounded (the analysis gave up)' : String(plan.cost.estimated);
  lines.push(`cost: ${estimated} of at most ${plan.cost.max}${plan.cost.refused ? ': REFUSED with COST_LIMIT_EXCEEDED' : ''}`);
  if (plan.rateLimit.length === 0) lines.push('rate limit: none configured for this BFF');
  else {
    lines.push('rate limit (charge per tier):');
    for (const tier of plan.rateLimit) {
      const quota = tier.limit === 'unlimited' ? 'unlimited' : `${tier.charge} of ${tier.limit} per ${tier.windowSeconds} s${tier.perWindow !== undefined ? ` (${tier.perWindow} such operations per window)` : ''}`;
      lines.push(`  ${tier.tier.padEnd(12)} ${tier.appliesTo}: ${quota}`);
    }
  }
  lines.push('');
  const { fields, defaultPolicy } = plan.authorization;
  if (fields.length === 0) lines.push('authorization: every selected field is public');
  else {
    const byRule = new Map<string, string[]>();
    for (const field of fields) byRule.set(field.requires, [...(byRule.get(field.requires) ?? []), field.field]);
    lines.push(`authorization (fields without a rule: ${defaultPolicy}):`);
    for (const [rule, coordinates] of byRule) lines.push(`  ${rule}: ${coordinates.join(', ')}`);
  }
  return `${lines.join('\n')}\n`;
}
