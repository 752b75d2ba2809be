import { describe, expect, it } from 'vitest';
import type { CpuProfile } from '../../bench/lib/cpuProfile.js';
import { formatChainCost, partOf, requestCpu } from '../../bench/lib/requestCpu.js';

const root = '/repo';
const frame = (functionName: string, url: string) => ({ functionName, url, lineNumber: 0 });

describe('bench CPU per request', () => {
  it('gives a library the time of the code of ours that called it, and the framework its own', () => {
    const jose = frame('verify', 'file:///repo/node_modules/jose/dist/verify.js');
    const auth = frame('verifyJwt', 'file:///repo/dist/plugins/auth/verifyJwt.js');
    const yoga = frame('handle', 'file:///repo/node_modules/graphql-yoga/index.js');
    const server = frame('serve', 'file:///repo/dist/server/createBffServer.js');
    expect(partOf([jose, auth, yoga, server], root)).toBe('plugins/auth/verifyJwt');
    // yoga's own work, under our server: yoga's, not the server's.
    expect(partOf([yoga, server], root)).toBe('graphql-yoga');
    expect(partOf([frame('executePlan', 'file:///repo/dist/sources/federation/planner/executePlan.js')], root)).toBe('sources/federation');
    expect(partOf([frame('(garbage collector)', '')], root)).toBe('(garbage collector)');
    // A builtin (no URL) is its caller's: JSON.stringify under the access log is the access log's.
    expect(partOf([frame('stringify', ''), frame('onResponse', 'file:///repo/dist/plugins/edge/useAccessLog.js')], root)).toBe('plugins/edge/useAccessLog');
    expect(partOf([frame('stringify', '')], root)).toBe('(v8 / native)');
  });

  it('counts only busy samples inside the load windows, over the requests they served', () => {
    // Node 1 root, 2 idle, 3 auth, 4 start-up code. Samples every 100 µs from t=0.
    const profile: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('(root)', ''), children: [2, 3, 4] },
        { id: 2, callFrame: frame('(idle)', '') },
        { id: 3, callFrame: frame('authenticate', 'file:///repo/dist/plugins/auth/useAuth.js') },
        { id: 4, callFrame: frame('load', 'node:internal/modules/cjs/loader') },
      ],
      startTime: 0,
      endTime: 1000,
      samples: [4, 4, 3, 2, 3, 3, 2, 4, 4, 4],
      timeDeltas: [100, 100, 100, 100, 100, 100, 100, 100, 100, 100],
    };
    // The window holds samples at t=300…700: auth, idle, auth, auth, idle.
    const cpu = requestCpu(profile, [{ startUs: 300, endUs: 700, requests: 3 }], root);
    expect(cpu.requests).toBe(3);
    expect(cpu.parts.get('plugins/auth/useAuth')).toBe(100);
    expect(cpu.parts.has('node:internal')).toBe(false);
    expect(cpu.totalUs).toBe(100);
  });

  it('states the difference per part and as a share of the policy gateway\'s CPU per request', () => {
    const bare = { requests: 10, totalUs: 100, parts: new Map([['graphql-yoga', 100]]) };
    const policies = { requests: 10, totalUs: 125, parts: new Map([['graphql-yoga', 100], ['plugins/auth/useAuth', 25]]) };
    const table = formatChainCost(bare, policies);
    expect(table).toContain('share of the policy gateway\'s CPU per request: 20.0 %');
    expect(table).toContain('| plugins/auth/useAuth | 0.0 | 25.0 | +25.0 | 20.0 % |');
  });
});
