import { watch, type FSWatcher } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { ConfigError } from '../config/configError.js';
import type { PorticoConfig } from '../config/loadConfig.js';

/** What asked for a reload; logged, and the fleet only re-announces local ones. */
export type ReloadTrigger = 'signal' | 'admin' | 'watch' | 'fleet' | 'resync';

export interface ReloadOutcome {
  ok: boolean;
  trigger: ReloadTrigger;
  /** Config generation now serving: 1 at start, +1 per applied reload. */
  version: number;
  /** Why the new config was refused; the previous one keeps serving. */
  error?: string;
  durationMs: number;
}

export interface ConfigReloaderOptions {
  /** Reads and validates the config files afresh. */
  load(): Promise<PorticoConfig>;
  /** Builds everything the config describes beside the running app and swaps it in, or throws. */
  apply(config: PorticoConfig): Promise<void>;
  logger: Logger;
  /** @default performance.now */
  now?: () => number;
}

export interface ConfigReloader {
  /**
   * Reloads once. Reloads never overlap: a call made while one runs waits for it and then for
   * one more, which serves every caller that asked meanwhile (their edits are all on disk by then).
   */
  reload(trigger: ReloadTrigger): Promise<ReloadOutcome>;
  /** Reloads when one of `files` changes, `debounceMs` after the last event. Replaces earlier watches. */
  watch(files: readonly string[], debounceMs: number): void;
  /** Called after every reload attempt, applied or refused. */
  onReload(listener: (outcome: ReloadOutcome) => void): () => void;
  readonly version: number;
  close(): void;
}

/**
 * Hot reload: load the new config, build it beside the running one, swap, and keep serving the
 * old one when anything about the new one fails (a syntax error, an invalid key, a schema that
 * does not compose, a change that needs a restart). Every attempt is logged with its trigger.
 */
export function createConfigReloader(options: ConfigReloaderOptions): ConfigReloader {
  const { logger } = options;
  const now = options.now ?? (() => performance.now());
  let version = 1;
  let running: Promise<ReloadOutcome> | undefined;
  let queued: { promise: Promise<ReloadOutcome>; trigger: ReloadTrigger } | undefined;
  const listeners = new Set<(outcome: ReloadOutcome) => void>();
  let watchers: FSWatcher[] = [];
  let debounce: NodeJS.Timeout | undefined;

  async function attempt(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const startedAt = now();
    let outcome: ReloadOutcome;
    try {
      await options.apply(await options.load());
      version += 1;
      outcome = { ok: true, trigger, version, durationMs: elapsed(startedAt) };
      logger.info({ trigger, version: outcome.version, durationMs: outcome.durationMs }, 'config reloaded');
    } catch (error) {
      const message = error instanceof ConfigError ? `invalid config: ${error.message}` : error instanceof Error ? error.message : String(error);
      outcome = { ok: false, trigger, version, error: message, durationMs: elapsed(startedAt) };
      logger.error({ trigger, version, err: error instanceof ConfigError ? undefined : error, reason: message }, 'config reload refused; the previous config keeps serving');
    }
    for (const listener of listeners) listener(outcome);
    return outcome;
  }

  const elapsed = (startedAt: number) => Math.round((now() - startedAt) * 100) / 100;

  function reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    if (!running) {
      running = attempt(trigger).finally(() => {
        running = undefined;
      });
      return running;
    }
    if (!queued) {
      const after = running;
      const promise = after.then(() => {
        queued = undefined;
        return reload(trigger);
      });
      queued = { promise, trigger };
    }
    return queued.promise;
  }

  return {
    reload,
    watch(files, debounceMs) {
      for (const watcher of watchers) watcher.close();
      watchers = [];
      // Watch directories, not files: editors save by renaming a new file over the old one, and
      // Kubernetes updates a ConfigMap volume by swapping a `..data` symlink; a watch on the old
      // file's inode would miss both.
      const byDir = new Map<string, Set<string>>();
      for (const file of files) {
        const dir = path.dirname(file);
        if (!byDir.has(dir)) byDir.set(dir, new Set());
        byDir.get(dir)!.add(path.basename(file));
      }
      for (const [dir, names] of byDir) {
        try {
          const watcher = watch(dir, { persistent: false }, (_event, name) => {
            const changed = name?.toString();
            if (changed && !names.has(changed) && !changed.startsWith('..')) return;
            clearTimeout(debounce);
            debounce = setTimeout(() => void reload('watch'), debounceMs);
            debounce.unref();
          });
          watcher.on('error', (error) => logger.warn({ err: error, dir }, 'config watch failed; SIGHUP and POST /admin/reload still reload'));
          watchers.push(watcher);
        } catch (error) {
          logger.warn({ err: error, dir }, 'cannot watch the config directory; SIGHUP and POST /admin/reload still reload');
        }
      }
    },
    onReload(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    // eslint-disable-next-line no-restricted-syntax -- one reloader per process
    get version() {
      return version;
    },
    close() {
      clearTimeout(debounce);
      for (const watcher of watchers) watcher.close();
      watchers = [];
      listeners.clear();
    },
  };
}
