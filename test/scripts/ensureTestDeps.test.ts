import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { planTestDeps, TEST_DEPENDENCIES } from '../../scripts/ensureTestDeps.js';
import { repoRoot } from '../support/portico.js';

const having = (...binaries: string[]) => (binary: string) => binaries.includes(binary);
const everything = TEST_DEPENDENCIES.map((dep) => dep.binaries[0]!);

describe('ensureTestDeps (npm test\'s pretest step, issue 16)', () => {
  it('does nothing when every binary is on PATH', () => {
    expect(planTestDeps({ has: having(...everything), hasApt: true, canApt: true })).toEqual({ action: 'none' });
  });

  it('accepts Ubuntu\'s chromium-browser for chromium', () => {
    expect(planTestDeps({ has: having('redis-server', 'redis-sentinel', 'redis-cli', 'openssl', 'chromium-browser'), hasApt: false, canApt: false })).toEqual({ action: 'none' });
  });

  it('installs only the missing packages as root with apt-get', () => {
    expect(planTestDeps({ has: having('redis-cli', 'openssl', 'chromium'), hasApt: true, canApt: true })).toEqual({ action: 'install', packages: ['redis-server', 'redis-sentinel'] });
  });

  it('names the missing packages and the apt-get command when it is not root', () => {
    const plan = planTestDeps({ has: having('redis-sentinel', 'redis-cli', 'openssl'), hasApt: true, canApt: false });
    expect(plan).toMatchObject({ action: 'report', packages: ['redis-server', 'chromium'] });
    expect(plan.action === 'report' && plan.message).toBe(
      'portico tests need redis-server, chromium, not installed here; install with: sudo apt-get install -y redis-server chromium',
    );
  });

  it('names the missing packages without apt, as on macOS', () => {
    const plan = planTestDeps({ has: having(), hasApt: false, canApt: false });
    expect(plan.action === 'report' && plan.message).toMatch(/^portico tests need redis-server, redis-sentinel, redis-tools, openssl, chromium, not installed here; install with: your package manager/);
  });

  it('as a process, fails with that one line on stderr when a binary is missing and it cannot install', () => {
    // A PATH with node alone: no redis, no chromium, no apt-get.
    const result = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/ensureTestDeps.ts'], {
      cwd: repoRoot,
      env: { PATH: '/nonexistent' },
      encoding: 'utf8',
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^portico tests need redis-server, redis-sentinel, redis-tools, openssl, chromium, not installed here/)]);
  });
});
