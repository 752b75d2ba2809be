import { readFileSync } from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../support/portico.js';

interface LockEntry {
  version?: string;
  engines?: { node?: string } | string[];
}

const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync(path.join(repoRoot, 'package-lock.json'), 'utf8')) as { packages: Record<string, LockEntry> };

// Issue 16: `npm ci` printed 40 EBADENGINE warnings because dependencies asked for Node >= 22.15
// while `engines` said >= 20.18.1. The declared range must be one every installed package
// accepts, so the install is quiet on every Node it names.
describe('package.json engines', () => {
  it('is a range every package in the lockfile accepts', () => {
    const declared = pkg.engines.node;
    const refusing = Object.entries(lock.packages)
      .filter(([key, entry]) => key !== '' && !Array.isArray(entry.engines) && typeof entry.engines?.node === 'string')
      .filter(([, entry]) => !semver.subset(declared, (entry.engines as { node: string }).node, { includePrerelease: false }))
      .map(([key, entry]) => `${key.replace(/^.*node_modules\//, '')}@${entry.version}: node ${(entry.engines as { node: string }).node}`);
    expect(refusing).toEqual([]);
  });

  it('still includes Node 20 and 22 LTS lines', () => {
    expect(semver.satisfies('20.19.0', pkg.engines.node)).toBe(true);
    expect(semver.satisfies('22.13.0', pkg.engines.node)).toBe(true);
    expect(semver.satisfies('24.0.0', pkg.engines.node)).toBe(true);
  });
});
