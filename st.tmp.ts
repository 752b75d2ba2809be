import { readFileSync, readdirSync } from 'node:fs';
const dir = process.argv[2]!; const target = process.argv[3]!; const leafName = process.argv[4]!;
const windows = JSON.parse(readFileSync(dir + '/load-windows.json', 'utf8'))[target];
const f = readdirSync(dir + '/' + target).map((n) => dir + '/' + target + '/' + n).sort((a, b) => readFileSync(b).length - readFileSync(a).length)[0]!;
const p = JSON.parse(readFileSync(f, 'utf8'));
const byId = new Map<number, any>(p.nodes.map((n: any) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const reqs = windows.reduce((s: number, w: any) => s + w.requests, 0);
const agg = new Map<string, number>(); let at = p.startTime;
p.samples.forEach((id: number, i: number) => {
  at += p.timeDeltas[i];
  if (!windows.some((w: any) => at >= w.startUs && at <= w.endUs)) return;
  if (byId.get(id).callFrame.functionName !== leafName) return;
  const st: string[] = []; let c: number | undefined = id;
  while (c !== undefined && st.length < 9) { const cf = byId.get(c).callFrame; st.push(cf.functionName + '@' + cf.url.replace(/.*node_modules\//, '').replace(/.*wt-policies\//, '') + ':' + cf.lineNumber); c = parent.get(c); }
  const k = st.join(' < ');
  agg.set(k, (agg.get(k) ?? 0) + p.timeDeltas[i]);
});
for (const [k, v] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, 6)) console.log((v / reqs).toFixed(1), k, '\n');
