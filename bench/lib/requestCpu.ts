import { ownerOf, type CpuProfile } from './cpuProfile.js';

/** A load run against one gateway: when it ran (µs of the monotonic clock V8 stamps samples with) and what it served. */
export interface LoadWindow {
  startUs: number;
  endUs: number;
  requests: number;
}

/** CPU per request of one gateway, split by the part of the code it ran in. */
export interface RequestCpu {
  requests: number;
  /** Busy (non-idle) sampled µs per request, all parts together. */
  totalUs: number;
  /** µs per request, by part. */
  parts: Map<string, number>;
}

// Code that calls into ours rather than being called by it: time under these is theirs, even when
// a frame of ours (the server that handed them the request) sits further up the stack.
const FRAMEWORK = /^(graphql-yoga|@graphql-yoga\/|@envelop\/|@whatwg-node\/)/;
const VM_STATES = new Set(['(garbage collector)', '(program)', '(idle)', '(root)']);
// Our files whose own time is worth a line of its own: the policies and what they call.
const BY_FILE = /^(plugins|stores|transport|observability)\//;

/**
 * Where a sample's time goes: the nearest frame of our own code (a plugin, a store, a transport
 * layer) takes the libraries it called (jose, ioredis, pino, node:crypto); time in the framework
 * (yoga, envelop, @whatwg-node) or reached from no code of ours stays with the package it ran in.
 */
export function partOf(stack: readonly { functionName: string; url: string }[], repoRoot: string): string {
  const leaf = stack[0];
  if (!leaf) return '?';
  // The VM's own states; any other frame without a URL is a builtin (JSON, crypto's binding,
  // Map) that belongs to whoever called it.
  if (leaf.url === '' && VM_STATES.has(leaf.functionName)) return leaf.functionName;
  for (const frame of stack) {
    const owner = ownerOf(frame.url, repoRoot);
    if (owner.startsWith('portico:')) {
      const file = owner.slice('portico:'.length).replace(/^(dist|src)\//, '').replace(/\.[jt]s$/, '');
      return BY_FILE.test(file) ? file : file.split('/').slice(0, 2).join('/');
    }
    if (FRAMEWORK.test(owner)) break;
  }
  return ownerOf(leaf.url, repoRoot);
}

/**
 * CPU per request from a `--cpu-prof` profile: only samples inside the load windows count (not
 * start-up, not the gaps while other gateways ran), idle ones excepted, over the requests those
 * windows served. A profile's own timestamps and `process.hrtime` read the same monotonic clock.
 */
export function requestCpu(profile: CpuProfile, windows: readonly LoadWindow[], repoRoot: string): RequestCpu {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parentOf.set(child, node.id);
  const partById = new Map<number, string>();
  const part = (id: number) => {
    let name = partById.get(id);
    if (name === undefined) {
      const stack: { functionName: string; url: string }[] = [];
      for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
        const frame = byId.get(at)?.callFrame;
        if (frame) stack.push(frame);
      }
      name = partOf(stack, repoRoot);
      partById.set(id, name);
    }
    return name;
  };
  const requests = windows.reduce((sum, window) => sum + window.requests, 0);
  const busyUs = new Map<string, number>();
  let at = profile.startTime;
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const delta = deltas[i] ?? 0;
    at += delta;
    if (!windows.some((window) => at >= window.startUs && at <= window.endUs)) continue;
    const name = part(samples[i]!);
    if (name === '(idle)') continue;
    busyUs.set(name, (busyUs.get(name) ?? 0) + delta);
  }
  const parts = new Map([...busyUs].map(([name, us]) => [name, requests > 0 ? us / requests : 0]));
  return { requests, totalUs: [...parts.values()].reduce((sum, us) => sum + us, 0), parts };
}

/**
 * The policy chain's cost per request: each part's µs per request with every policy on against
 * bare, largest difference first, and what the difference is as a share of the policy gateway's
 * CPU per request. Parts that differ by less than `minUs` are summed into one line.
 */
export function formatChainCost(bare: RequestCpu, policies: RequestCpu, minUs = 2): string {
  const names = new Set([...bare.parts.keys(), ...policies.parts.keys()]);
  const rows = [...names]
    .map((name) => ({ name, bare: bare.parts.get(name) ?? 0, policies: policies.parts.get(name) ?? 0 }))
    .map((row) => ({ ...row, delta: row.policies - row.bare }))
    .sort((a, b) => b.delta - a.delta);
  const shown = rows.filter((row) => Math.abs(row.delta) >= minUs);
  const rest = rows.filter((row) => Math.abs(row.delta) < minUs);
  const share = (us: number) => `${((us / policies.totalUs) * 100).toFixed(1)} %`;
  const line = (name: string, b: number, p: number) =>
    `| ${name} | ${b.toFixed(1)} | ${p.toFixed(1)} | ${(p - b >= 0 ? '+' : '') + (p - b).toFixed(1)} | ${share(p - b)} |`;
  const delta = policies.totalUs - bare.totalUs;
  return [
    `CPU µs per request inside the load windows (bare: ${bare.requests} requests, every policy on: ${policies.requests}); the chain's share of the policy gateway's CPU per request: ${share(delta)}`,
    '',
    '| part | bare µs/req | policies µs/req | difference | share of policies µs/req |',
    '| --- | --- | --- | --- | --- |',
    ...shown.map((row) => line(row.name, row.bare, row.policies)),
    line(`${rest.length} other parts (each < ${minUs} µs apart)`, sum(rest, 'bare'), sum(rest, 'policies')),
    line('**total**', bare.totalUs, policies.totalUs),
  ].join('\n');
}

function sum(rows: readonly { bare: number; policies: number }[], key: 'bare' | 'policies'): number {
  return rows.reduce((total, row) => total + row[key], 0);
}
