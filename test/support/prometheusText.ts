/** One sample of a Prometheus text exposition. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+-?\d+)?$/;
const LABEL = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*(,|$)/y;

/**
 * Parses Prometheus text format 0.0.4 strictly enough to catch what a scraper would reject:
 * malformed lines, samples of a family with no `# TYPE`, duplicate series, histograms whose
 * buckets are not cumulative or whose `+Inf` bucket differs from `_count`. Throws on the first
 * problem, naming the line.
 */
export function parsePrometheusText(text: string): Sample[] {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  const seen = new Set<string>();
  text.split('\n').forEach((line, index) => {
    const where = `line ${index + 1}: ${line.slice(0, 120)}`;
    if (line === '') return;
    if (line.startsWith('# HELP ')) {
      if (!NAME.test(line.split(' ')[2] ?? '')) throw new Error(`bad HELP, ${where}`);
      return;
    }
    if (line.startsWith('# TYPE ')) {
      const [, , name, type] = line.split(' ');
      if (!NAME.test(name ?? '') || !['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(type ?? '')) throw new Error(`bad TYPE, ${where}`);
      types.set(name!, type!);
      return;
    }
    if (line.startsWith('#')) return;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`malformed sample, ${where}`);
    const [, name, , labelText = '', valueText] = match;
    const labels: Record<string, string> = {};
    LABEL.lastIndex = 0;
    while (LABEL.lastIndex < labelText.length) {
      const start = LABEL.lastIndex;
      const label = LABEL.exec(labelText);
      if (!label || LABEL.lastIndex === start) throw new Error(`malformed labels, ${where}`);
      labels[label[1]!] = label[2]!.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));
    }
    // Prometheus reads values with Go's ParseFloat: NaN and Inf in any letter case.
    const lower = valueText!.toLowerCase();
    const value = lower === '+inf' || lower === 'inf' ? Infinity : lower === '-inf' ? -Infinity : lower === 'nan' ? NaN : Number(valueText);
    if (Number.isNaN(value) && lower !== 'nan') throw new Error(`bad value, ${where}`);
    const family = familyOf(name!, types);
    if (!family) throw new Error(`sample without a # TYPE, ${where}`);
    const key = `${name}${JSON.stringify(Object.entries(labels).sort())}`;
    if (seen.has(key)) throw new Error(`duplicate series, ${where}`);
    seen.add(key);
    samples.push({ name: name!, labels, value });
  });
  checkHistograms(samples, types);
  return samples;
}

function familyOf(name: string, types: Map<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of ['_bucket', '_sum', '_count']) {
    if (name.endsWith(suffix) && ['histogram', 'summary'].includes(types.get(name.slice(0, -suffix.length)) ?? '')) return name.slice(0, -suffix.length);
  }
  return undefined;
}

function checkHistograms(samples: Sample[], types: Map<string, string>): void {
  for (const [family, type] of types) {
    if (type !== 'histogram') continue;
    const series = new Map<string, Sample[]>();
    for (const sample of samples.filter((s) => s.name === `${family}_bucket`)) {
      const { le: _le, ...rest } = sample.labels;
      const key = JSON.stringify(Object.entries(rest).sort());
      series.set(key, [...(series.get(key) ?? []), sample]);
    }
    for (const [key, buckets] of series) {
      const sorted = [...buckets].sort((a, b) => Number(a.labels.le === '+Inf' ? Infinity : a.labels.le) - Number(b.labels.le === '+Inf' ? Infinity : b.labels.le));
      for (let i = 1; i < sorted.length; i++) {
        if (sorted[i]!.value < sorted[i - 1]!.value) throw new Error(`${family}${key}: buckets are not cumulative`);
      }
      const count = samples.find((s) => s.name === `${family}_count` && JSON.stringify(Object.entries(s.labels).sort()) === key);
      if (sorted.at(-1)?.labels.le !== '+Inf' || count?.value !== sorted.at(-1)?.value) throw new Error(`${family}${key}: +Inf bucket and _count differ`);
    }
  }
}
