/** The parts of a V8 `.cpuprofile` (as written by `node --cpu-prof`) the summary reads. */
export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number; children?: number[] }[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

interface Row {
  name: string;
  ms: number;
}

/** Where a frame's code lives: a package name, `portico:<path>` for our own code, or `node:` / `(v8)`. */
export function ownerOf(url: string, repoRoot: string): string {
  if (url === '') return '(v8 / native)';
  if (url.startsWith('node:')) return 'node:internal';
  const file = url.replace(/^file:\/\//, '');
  const modules = file.lastIndexOf('/node_modules/');
  if (modules >= 0) {
    const parts = file.slice(modules + '/node_modules/'.length).split('/');
    return parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
  }
  if (file.startsWith(repoRoot)) return `portico:${file.slice(repoRoot.length + 1)}`;
  return file;
}

/**
 * Self time per function and per owner (package or our file), from the samples. Self time is
 * where the CPU was; the package table says whose code to change, or which library to stop
 * calling so often.
 */
export function summariseProfile(profile: CpuProfile, repoRoot: string, top = 30): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  samples.forEach((id, i) => selfMs.set(id, (selfMs.get(id) ?? 0) + (deltas[i] ?? 0) / 1000));
  const total = [...selfMs.values()].reduce((sum, ms) => sum + ms, 0);

  const byFunction = new Map<string, number>();
  const byOwner = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const frame = byId.get(id)?.callFrame;
    if (!frame) continue;
    const owner = ownerOf(frame.url, repoRoot);
    const name = `${frame.functionName || '(anonymous)'}  ${owner}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + ms);
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + ms);
  }
  // Inclusive time: each sample counts once for every distinct function on its stack, so a
  // recursive function is not counted twice and a caller shows what its whole subtree costs.
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const nameOf = (id: number) => {
    const frame = byId.get(id)?.callFrame;
    if (!frame) return '?';
    const owner = ownerOf(frame.url, repoRoot);
    return `${frame.functionName || '(anonymous)'}  ${owner}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
  };
  const inclusive = new Map<string, number>();
  samples.forEach((id, i) => {
    const ms = (deltas[i] ?? 0) / 1000;
    const seen = new Set<string>();
    for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
      const name = nameOf(at);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + ms);
    }
  });
  const table = (title: string, rows: Map<string, number>) => {
    const sorted: Row[] = [...rows].map(([name, ms]) => ({ name, ms })).sort((a, b) => b.ms - a.ms).slice(0, top);
    return [`${title} (of ${total.toFixed(0)} ms sampled)`, ...sorted.map((row) => `${((row.ms / total) * 100).toFixed(1).padStart(5)}%  ${row.ms.toFixed(0).padStart(7)} ms  ${row.name}`)].join('\n');
  };
  return `${table('self time by package / file', byOwner)}\n\n${table('self time by function', byFunction)}\n\n${table('total time by function (itself and what it calls)', inclusive)}\n`;
}
