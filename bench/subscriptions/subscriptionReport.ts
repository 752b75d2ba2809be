/**
 * The subscription bench's figures and its Portico/Hive table: pure functions over what one run
 * measured (tested in test/bench/subscriptionReport.test.ts).
 */

/** What the bench measured on one gateway in one round. */
export interface GatewayRound {
  gateway: string;
  round: number;
  subscriptions: { sse: number; ws: number };
  /** Publish-to-receipt latency of every (event, subscription) pair, in ms. */
  latencies: { sse: readonly number[]; ws: readonly number[] };
  /** The gateway's RSS (MiB) before any subscription, with the SSE ones open, then with both. */
  rssMiB: { before: number; withSse: number; withBoth: number };
  /** The gateway's CPU seconds (user + system) while the events were published and delivered. */
  cpuSeconds: number;
  /** Events received by all clients together (should be events × subscriptions). */
  delivered: number;
  /** Events expected (events × subscriptions). */
  expected: number;
  /** Upstream subscriptions the gateway held open for its clients. */
  upstreamSubscriptions: number;
}

export interface Figures {
  sseP50: number;
  sseP99: number;
  wsP50: number;
  wsP99: number;
  /** RSS growth per subscription, KiB: SSE ones, WebSocket ones, and both together. */
  rssKiBPerSse: number;
  rssKiBPerWs: number;
  rssKiBPerSubscription: number;
  cpuMsPer1000Events: number;
  /** Upstream subscriptions per client subscription. */
  upstreamPerSubscription: number;
}

export const FIGURES: readonly { key: keyof Figures; label: string; digits: number }[] = [
  { key: 'sseP50', label: 'SSE p50 ms', digits: 2 },
  { key: 'sseP99', label: 'SSE p99 ms', digits: 2 },
  { key: 'wsP50', label: 'WS p50 ms', digits: 2 },
  { key: 'wsP99', label: 'WS p99 ms', digits: 2 },
  { key: 'rssKiBPerSse', label: 'RSS KiB / SSE sub', digits: 1 },
  { key: 'rssKiBPerWs', label: 'RSS KiB / WS sub', digits: 1 },
  { key: 'rssKiBPerSubscription', label: 'RSS KiB / sub', digits: 1 },
  { key: 'cpuMsPer1000Events', label: 'CPU ms / 1,000 events', digits: 1 },
  // Four digits: a gateway that shares holds one upstream subscription for thousands.
  { key: 'upstreamPerSubscription', label: 'upstream subs / sub', digits: 4 },
];

/** Nearest-rank percentile (`q` in 0..1) of unsorted values; NaN when there are none. */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

/** The middle value; the mean of the two middle ones for an even count (two rounds give their mean, not the lower). */
export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function figuresOf(round: GatewayRound): Figures {
  const { sse, ws } = round.subscriptions;
  const { before, withSse, withBoth } = round.rssMiB;
  return {
    sseP50: percentile(round.latencies.sse, 0.5),
    sseP99: percentile(round.latencies.sse, 0.99),
    wsP50: percentile(round.latencies.ws, 0.5),
    wsP99: percentile(round.latencies.ws, 0.99),
    rssKiBPerSse: sse > 0 ? ((withSse - before) * 1024) / sse : NaN,
    rssKiBPerWs: ws > 0 ? ((withBoth - withSse) * 1024) / ws : NaN,
    rssKiBPerSubscription: sse + ws > 0 ? ((withBoth - before) * 1024) / (sse + ws) : NaN,
    cpuMsPer1000Events: round.delivered > 0 ? (round.cpuSeconds * 1000 * 1000) / round.delivered : NaN,
    upstreamPerSubscription: sse + ws > 0 ? round.upstreamSubscriptions / (sse + ws) : NaN,
  };
}

export interface Row {
  gateway: string;
  /** Median over rounds of each figure. */
  figures: Figures;
  /** Median over rounds of this gateway's figure over the baseline's in the same round; absent for the baseline. */
  ratios?: Figures;
}

/**
 * One row per gateway: each figure the median over rounds, and for every gateway but `baseline`
 * the median of per-round ratios to the baseline (a noisy neighbour slows both in one round).
 */
export function compareGateways(rounds: readonly GatewayRound[], gateways: readonly string[], baseline: string): Row[] {
  const byGateway = (gateway: string) => rounds.filter((r) => r.gateway === gateway);
  const keys = FIGURES.map((f) => f.key);
  const medianFigures = (list: readonly Figures[]) => Object.fromEntries(keys.map((key) => [key, median(list.map((f) => f[key]).filter((v) => !Number.isNaN(v)))])) as unknown as Figures;
  return gateways.map((gateway) => {
    const own = byGateway(gateway);
    const row: Row = { gateway, figures: medianFigures(own.map(figuresOf)) };
    if (gateway !== baseline) {
      const perRound = own.flatMap((r) => {
        const base = byGateway(baseline).find((b) => b.round === r.round);
        if (!base) return [];
        const mine = figuresOf(r);
        const theirs = figuresOf(base);
        return [Object.fromEntries(keys.map((key) => [key, mine[key] / theirs[key]])) as unknown as Figures];
      });
      row.ratios = medianFigures(perRound);
    }
    return row;
  });
}

/** A Markdown table: a figure per row, a column per gateway, then each ratio to the baseline. */
export function formatTable(rows: readonly Row[], baseline: string): string {
  const others = rows.filter((row) => row.ratios);
  const header = ['figure', ...rows.map((row) => row.gateway), ...others.map((row) => `${row.gateway}/${baseline}`)];
  const lines = [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`];
  for (const { key, label, digits } of FIGURES) {
    const values = rows.map((row) => fixed(row.figures[key], digits));
    const ratios = others.map((row) => (Number.isFinite(row.ratios![key]) ? `×${ratioText(row.ratios![key])}` : 'n/a'));
    lines.push(`| ${[label, ...values, ...ratios].join(' | ')} |`);
  }
  return lines.join('\n');
}

/** Two decimals, or two significant digits below 0.01 (shared upstream streams), never a bare ×0.00. */
function ratioText(ratio: number): string {
  return ratio !== 0 && Math.abs(ratio) < 0.01 ? ratio.toPrecision(2) : ratio.toFixed(2);
}

function fixed(value: number, digits: number): string {
  return Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
}
