import type { Logger } from 'pino';
import type { PorticoConfig } from '../config/loadConfig.js';
import { buildSourceRuntime, type SourceRuntime } from '../compose/buildSourceRuntime.js';
import { composeBffSchema } from '../compose/composeBffSchema.js';
import { buildPipeline } from '../pipeline/buildPipeline.js';
import { createHttpClient, type HttpClient } from '../transport/httpClient.js';
import { startBffServer, type RunningBff } from './createBffServer.js';

export interface Portico {
  bffs: RunningBff[];
  /** Drains every BFF, then closes upstream pools. */
  close(graceMs?: number): Promise<void>;
}

export interface StartOptions {
  logger: Logger;
}

/**
 * Builds every source once, composes each BFF's schema and starts its server. Start-up uses the
 * SDL files in schemas/, never the live upstreams, so an unreachable source degrades the fields
 * it serves (coded errors at their paths) instead of keeping the gateway down.
 */
export async function startPortico(config: PorticoConfig, options: StartOptions): Promise<Portico> {
  const { logger } = options;
  const http: HttpClient = createHttpClient();
  const runtimes = new Map<string, SourceRuntime>();
  const used = new Set(config.bffs.flatMap((bff) => bff.sources));
  for (const name of used) {
    const source = config.sources[name]!;
    runtimes.set(name, buildSourceRuntime(source, { httpFor: () => http.call }));
  }

  const bffs: RunningBff[] = [];
  try {
    for (const bff of config.bffs) {
      const schema = composeBffSchema(bff, runtimes);
      const plugins = buildPipeline(bff, { logger });
      bffs.push(await startBffServer({ bff, schema, plugins, logger }));
    }
  } catch (error) {
    await Promise.all(bffs.map((running) => running.close(0)));
    await http.close();
    throw error;
  }

  return {
    bffs,
    async close(graceMs) {
      await Promise.all(bffs.map((running) => running.close(graceMs)));
      await http.close();
    },
  };
}
