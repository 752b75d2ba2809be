import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { gql, repoRoot, startTestPortico, type TestPortico } from '../support/portico.js';
import { parsePrometheusText } from '../support/prometheusText.js';
import { startRedis, type RedisHandle } from '../support/redis.js';
import { startAllSubgraphs, type SubgraphSet } from '../support/subgraphs.js';
import { startIdp, type Idp } from '../support/tokens.js';

// The Grafana dashboard and the Prometheus alert rules in deploy/ may only name series the
// process exports: each name is looked up on /metrics of the running demo (portico.config.ts,
// with a Redis so the fleet series exist) after a little traffic.
const DASHBOARD = path.join(repoRoot, 'deploy/grafana/portico-dashboard.json');
const ALERTS = path.join(repoRoot, 'deploy/prometheus/portico-alerts.yml');

interface Rule {
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as {
  uid: string;
  panels: { id: number; type: string; title: string; targets?: { expr: string }[] }[];
  templating: { list: { query?: string | { query: string } }[] };
  annotations: { list: { expr?: string }[] };
};
const alerts = parseYaml(await readFile(ALERTS, 'utf8')) as { groups: { name: string; rules: Rule[] }[] };

/** Every PromQL expression in the dashboard (panels, variables, annotations) and the rules. */
function expressions(): { where: string; expr: string }[] {
  const found: { where: string; expr: string }[] = [];
  for (const panel of dashboard.panels) for (const target of panel.targets ?? []) found.push({ where: `panel "${panel.title}"`, expr: target.expr });
  for (const variable of dashboard.templating.list) {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    if (query?.startsWith('label_values(')) found.push({ where: 'a dashboard variable', expr: query });
  }
  for (const annotation of dashboard.annotations.list) if (annotation.expr) found.push({ where: 'a dashboard annotation', expr: annotation.expr });
  for (const group of alerts.groups) for (const rule of group.rules) found.push({ where: `alert ${rule.alert}`, expr: rule.expr });
  return found;
}

// A series name is an identifier followed by a selector or range (`name{`, `name[`) or used bare
// as a function argument; label values in quotes and `{{ templates }}` are removed first.
const PROMQL_WORDS = new Set([
  'sum', 'max', 'min', 'avg', 'count', 'topk', 'bottomk', 'by', 'on', 'without', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless',
  'rate', 'irate', 'increase', 'changes', 'histogram_quantile', 'clamp_min', 'clamp_max', 'label_values', 'offset', 'bool', 'le', 'instance',
  'source', 'bff', 'state', 'outcome', 'result', 'status', 'code', 'to', 'view', 'operation', 'reason', 'kind',
]);
function seriesNames(expr: string): string[] {
  const bare = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/\$__\w+/g, '').replace(/\{[^{}]*\}/g, '{}');
  const names = new Set<string>();
  for (const match of bare.matchAll(/\b([a-zA-Z_:][a-zA-Z0-9_:]*)\b/g)) {
    const word = match[1]!;
    if (PROMQL_WORDS.has(word) || /^\d/.test(word) || /^e\d+$/.test(word)) continue;
    names.add(word);
  }
  return [...names];
}

describe('deploy/ dashboards and alert rules', () => {
  it('are well formed: unique panel ids, every rule has a severity and a summary', () => {
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(dashboard.uid).toBe('portico-overview');
    const rules = alerts.groups.flatMap((group) => group.rules);
    expect(rules.map((rule) => rule.alert)).toEqual(
      expect.arrayContaining(['PorticoBreakerOpen', 'PorticoErrorRate', 'PorticoP99Latency', 'PorticoRateLimitRefusals', 'PorticoFallbackShare', 'PorticoFleetResyncFailing']),
    );
    for (const rule of rules) {
      expect(rule.labels?.severity, `${rule.alert}`).toMatch(/^(critical|warning|info)$/);
      expect(rule.annotations?.summary, `${rule.alert}`).toBeTruthy();
      expect(Object.keys(rule).every((key) => ['alert', 'expr', 'for', 'labels', 'annotations'].includes(key)), `${rule.alert}`).toBe(true);
    }
  });

  it('reads the names the way PromQL does', () => {
    expect(seriesNames('sum by (source) (rate(portico_source_fallbacks_total{source=~"$source", result="served"}[5m])) / clamp_min(x_total, 1e-9) > 0.05')).toEqual([
      'portico_source_fallbacks_total',
      'x_total',
    ]);
    expect(seriesNames('histogram_quantile(0.99, sum by (bff, le) (rate(portico_request_duration_seconds_bucket[5m]))) > 2')).toEqual([
      'portico_request_duration_seconds_bucket',
    ]);
  });

  describe('on a running demo', () => {
    let subgraphs: SubgraphSet;
    let idp: Idp;
    let redis: RedisHandle;
    let portico: TestPortico;
    let exported: Set<string>;

    beforeAll(async () => {
      [subgraphs, redis] = await Promise.all([startAllSubgraphs({}, { readyTimeoutMs: 120_000 }), startRedis()]);
      idp = await startIdp({ readyTimeoutMs: 120_000 });
      portico = await startTestPortico(subgraphs, { env: { IDP_URL: idp.url, REDIS_URL: redis.url } });
      await portico.fleet!.ready();
      // A little traffic: every source answers once, so latency histograms have buckets.
      const token = await idp.issue({ sub: 'u1', aud: 'portico-web', scopes: ['products:read', 'inventory:read', 'orders:read', 'users:read'] });
      const answer = await gql(
        portico.bff('web').url,
        '{ products(page: 1, pageSize: 2) { items { id stock { available } } } }',
        undefined,
        { authorization: `Bearer ${token}` },
      );
      expect(answer.status).toBe(200);
      await gql(portico.bff('web').url, '{ __typename }', undefined, { authorization: `Bearer ${token}` });
      await portico.fleet!.resync();
      const text = await (await fetch(`${portico.admin!.url}/metrics`)).text();
      const samples = parsePrometheusText(text);
      // A family declared with `# TYPE` exists even before its first labelled sample (a BFF
      // without rate limits has no `limited` sample, yet the alert's query is right).
      const declared = [...text.matchAll(/^# TYPE (\S+) (counter|gauge)$/gm)].map((match) => match[1]!);
      exported = new Set([...samples.map((sample) => sample.name), ...declared]);
    }, 300_000);

    afterAll(async () => {
      await portico?.close(0);
      await Promise.all([subgraphs?.[Symbol.asyncDispose](), idp?.stop(), redis?.stop()]);
    });

    it('finds every series a dashboard panel, variable, annotation or alert names', () => {
      const missing = expressions().flatMap(({ where, expr }) => seriesNames(expr).filter((name) => !exported.has(name)).map((name) => `${where}: ${name}`));
      expect(missing).toEqual([]);
      // The check is not vacuous: the queries name the families the issue lists.
      const named = new Set(expressions().flatMap(({ expr }) => seriesNames(expr)));
      for (const family of [
        'portico_source_breaker_state',
        'portico_requests_total',
        'portico_request_duration_seconds_bucket',
        'portico_rate_limit_decisions_total',
        'portico_source_fallbacks_total',
        'portico_fleet_resyncs_total',
      ]) {
        expect(named).toContain(family);
      }
    });
  });
});
