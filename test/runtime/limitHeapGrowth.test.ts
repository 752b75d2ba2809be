import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/configError.js';
import { runPortico } from '../support/cli.js';
import { DEFAULT_HEAP_GROWING_PERCENT, HEAP_GROWING_PERCENT_ENV, heapGrowingPercent } from '../../src/runtime/limitHeapGrowth.js';

const run = promisify(execFile);
const fixture = path.join(import.meta.dirname, 'fixtures', 'heapGrowth.ts');

/** The fixture in a process of its own: V8 flags are process-wide, and vitest shares workers between files. */
async function growth(value: string | undefined): Promise<{ largest: number; kept: number }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env[HEAP_GROWING_PERCENT_ENV];
  if (value !== undefined) env[HEAP_GROWING_PERCENT_ENV] = value;
  const { stdout } = await run(process.execPath, ['--expose-gc', '--import', 'tsx', fixture], { env });
  return JSON.parse(stdout) as { largest: number; kept: number };
}

describe('heapGrowingPercent', () => {
  it('is 100 unless the environment says otherwise, and V8 keeps its own heuristic for off or 0', () => {
    expect(heapGrowingPercent({})).toBe(DEFAULT_HEAP_GROWING_PERCENT);
    expect(DEFAULT_HEAP_GROWING_PERCENT).toBe(100);
    expect(heapGrowingPercent({ [HEAP_GROWING_PERCENT_ENV]: '' })).toBe(100);
    expect(heapGrowingPercent({ [HEAP_GROWING_PERCENT_ENV]: '50' })).toBe(50);
    expect(heapGrowingPercent({ [HEAP_GROWING_PERCENT_ENV]: 'off' })).toBeUndefined();
    expect(heapGrowingPercent({ [HEAP_GROWING_PERCENT_ENV]: '0' })).toBeUndefined();
  });

  it.each(['5', '301', '1.5', 'lots', '-100'])('refuses %s, naming the variable', (value) => {
    const refuse = () => heapGrowingPercent({ [HEAP_GROWING_PERCENT_ENV]: value });
    expect(refuse).toThrow(ConfigError);
    expect(refuse).toThrow(`environment: ${HEAP_GROWING_PERCENT_ENV}: expected a whole number from 10 to 300, or off, got "${value}"`);
  });
});

describe('limitHeapGrowth', () => {
  // Both children at once: each is a second or two of allocation (more on a busy machine).
  it('keeps the old generation within about twice what a full collection keeps; off lets V8 grow it further', async () => {
    const [limited, unlimited] = await Promise.all([growth(undefined), growth('off')]);
    // Twice what survives, plus the young generation's capacity V8 adds to every limit and a
    // little overshoot while marking finishes (measured: 125 MiB largest for 52 MiB kept).
    expect(limited.largest).toBeLessThan(2 * limited.kept + 32 * 1024 * 1024);
    // V8's own factor for a program allocating this fast is up to 4 (measured: 210 MiB largest).
    expect(unlimited.largest).toBeGreaterThan(limited.largest * 1.4);
  }, 120_000);
});

describe('portico with a bad PORTICO_HEAP_GROWING_PERCENT', () => {
  it('stops before doing anything else, exit code 78, naming the variable', async () => {
    const { code, stderr } = await runPortico(['serve', '--supergraph', 'no-such-file.graphql'], { [HEAP_GROWING_PERCENT_ENV]: 'lots' }).exited;
    expect(code).toBe(78);
    expect(stderr).toContain(`portico: invalid config: environment: ${HEAP_GROWING_PERCENT_ENV}: expected a whole number from 10 to 300, or off, got "lots"`);
  }, 60_000);
});
