/**
 * What the test suite needs besides node_modules, installed where it can be, named where it cannot:
 *
 *   tsx scripts/ensureTestDeps.ts        (run by `npm test` as its `pretest` step, and by .ci/run)
 *
 * The tests start real processes: `redis-server` (rate limits, revocations, fleet), `redis-sentinel`
 * and `redis-cli` (Sentinel failover), and a headless `chromium` (pages such as GraphiQL). With all of
 * them on PATH this only looks them up (a few ms). As root on Debian/Ubuntu it installs the missing
 * packages with apt-get, as a fresh CI machine needs; anywhere else it prints one line naming the
 * missing packages and the command that installs them, and fails, so the suite never runs half red.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The one list of system packages the tests need: a binary each must put on PATH, and its Debian package. */
export const TEST_DEPENDENCIES: readonly { binaries: readonly string[]; aptPackage: string }[] = [
  { binaries: ['redis-server'], aptPackage: 'redis-server' },
  { binaries: ['redis-sentinel'], aptPackage: 'redis-sentinel' },
  { binaries: ['redis-cli'], aptPackage: 'redis-tools' },
  // The TLS tests make their certificate authority with the openssl CLI.
  { binaries: ['openssl'], aptPackage: 'openssl' },
  // Debian names the binary chromium; Ubuntu's package installs chromium-browser.
  { binaries: ['chromium', 'chromium-browser'], aptPackage: 'chromium' },
];

export interface Machine {
  /** Whether a binary is on PATH. */
  has(binary: string): boolean;
  /** Root, and apt-get on PATH: what installing needs. */
  canApt: boolean;
  hasApt: boolean;
}

export type TestDepsPlan =
  | { action: 'none' }
  | { action: 'install'; packages: string[] }
  | { action: 'report'; packages: string[]; message: string };

/** What to do on this machine; pure, so its cases are tested without one. */
export function planTestDeps(machine: Machine): TestDepsPlan {
  const packages = TEST_DEPENDENCIES.filter((dep) => !dep.binaries.some((binary) => machine.has(binary))).map((dep) => dep.aptPackage);
  if (packages.length === 0) return { action: 'none' };
  if (machine.canApt) return { action: 'install', packages };
  const command = machine.hasApt
    ? `sudo apt-get install -y ${packages.join(' ')}`
    : `your package manager (e.g. brew install redis chromium)`;
  return {
    action: 'report',
    packages,
    message: `portico tests need ${packages.join(', ')}, not installed here; install with: ${command}`,
  };
}

function onPath(binary: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    try {
      accessSync(path.join(dir, binary), constants.X_OK);
      return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

function main(): number {
  const hasApt = onPath('apt-get');
  const machine: Machine = { has: onPath, hasApt, canApt: hasApt && process.getuid?.() === 0 };
  const plan = planTestDeps(machine);
  if (plan.action === 'none') return 0;
  if (plan.action === 'report') {
    process.stderr.write(`${plan.message}\n`);
    return 1;
  }
  process.stderr.write(`portico tests: installing ${plan.packages.join(', ')} (apt-get)\n`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  for (const args of [['update', '-qq'], ['install', '-y', '-qq', '--no-install-recommends', ...plan.packages]]) {
    const result = spawnSync('apt-get', args, { env, stdio: ['ignore', 'ignore', 'inherit'] });
    if (result.status !== 0) {
      process.stderr.write(`portico tests: apt-get ${args[0]} failed; install by hand: apt-get install -y ${plan.packages.join(' ')}\n`);
      return 1;
    }
  }
  const after = planTestDeps({ ...machine, canApt: false });
  if (after.action === 'report') {
    process.stderr.write(`${after.message}\n`);
    return 1;
  }
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
