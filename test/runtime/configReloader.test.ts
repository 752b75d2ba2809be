import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/configError.js';
import type { PorticoConfig } from '../../src/config/loadConfig.js';
import { createConfigReloader } from '../../src/runtime/configReloader.js';
import { deferred } from '../support/boundedLoad.js';

const logger = pino({ level: 'silent' });

describe('createConfigReloader', () => {
  it('applies a loaded config and counts versions', async () => {
    const applied: unknown[] = [];
    const reloader = createConfigReloader({ logger, load: async () => ({ n: 1 }) as unknown as PorticoConfig, apply: async (config) => void applied.push(config) });
    expect(await reloader.reload('signal')).toMatchObject({ ok: true, trigger: 'signal', version: 2 });
    expect(reloader.version).toBe(2);
    expect(applied).toEqual([{ n: 1 }]);
  });

  it('refuses a config that fails to load or apply, keeps the version, and says why', async () => {
    let attempt = 0;
    const reloader = createConfigReloader({
      logger,
      load: async () => {
        attempt += 1;
        if (attempt === 1) throw new ConfigError('bffs/web/bff.config.ts', 'port', 'expected a number');
        return {} as PorticoConfig;
      },
      apply: async () => {
        throw new Error('web.port changed (4000 → 4001); a listener change needs a restart');
      },
    });
    expect(await reloader.reload('admin')).toMatchObject({ ok: false, version: 1, error: 'invalid config: bffs/web/bff.config.ts: port: expected a number' });
    expect(await reloader.reload('admin')).toMatchObject({ ok: false, version: 1, error: expect.stringMatching(/needs a restart/) });
  });

  it('never overlaps reloads: callers during one share exactly one more', async () => {
    const gate = deferred();
    let loads = 0;
    const reloader = createConfigReloader({
      logger,
      load: async () => {
        loads += 1;
        if (loads === 1) await gate.promise;
        return {} as PorticoConfig;
      },
      apply: async () => {},
    });
    const first = reloader.reload('watch');
    const during = [reloader.reload('watch'), reloader.reload('admin'), reloader.reload('signal')];
    gate.resolve();
    const [a, b, c, d] = await Promise.all([first, ...during]);
    expect(loads).toBe(2);
    expect(b).toBe(c);
    expect(c).toBe(d);
    expect([a!.version, b!.version]).toEqual([2, 3]);
  });
});
