import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import type { ConsoleFeed } from '../../observability/console/consoleFeed.js';
import { consoleSnapshot, type ConsoleSnapshot, type RosterEntry } from './consoleSnapshot.js';

export interface OperatorConsoleOptions {
  feed: ConsoleFeed;
  instanceId: string;
  configVersion(): number;
  /** The BFFs the config runs now. */
  bffs(): readonly string[];
  /** Every source's breaker now (SourceTransports.health). */
  breakers(): Readonly<Record<string, { breaker: string }>>;
  /** Active subscriptions; undefined while the process serves none (the section stays hidden). */
  subscriptions?(): number | undefined;
  /** The fleet roster; absent without a fleet. */
  fleet?(): RosterEntry[] | undefined;
  /** @default 1000: charts move every second; one snapshot is built per tick for every viewer */
  pushMs?: number;
}

export interface OperatorConsole {
  /** Answers `GET /console…`; false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse, path: string): boolean;
  /** Pushes a snapshot to every viewer now (a breaker changed state), instead of on the next tick. */
  push(): void;
  snapshot(): ConsoleSnapshot;
  /** Ends every event stream and stops the timer. */
  close(): void;
}

const ASSETS = path.join(import.meta.dirname, 'assets');
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
// Served as files of the process: no CDN, no inline script, so the page works offline and a
// strict policy can forbid everything else.
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-cache',
};

/**
 * The operator console on the admin listener:
 *
 *   GET /console                  the page (assets/console.html, .js, .css: plain SVG charts)
 *   GET /console/events           server-sent events: a `snapshot` event every `pushMs`, and at
 *                                 once when a breaker changes state
 *   GET /console/snapshot.json    the same snapshot once, for scripts
 *
 * Snapshots are built once per tick and only while someone watches, whatever the number of
 * viewers; the request path only feeds the ring buffers (src/observability/console/).
 */
export function createOperatorConsole(options: OperatorConsoleOptions): OperatorConsole {
  const pushMs = options.pushMs ?? 1_000;
  const assets = new Map<string, { type: string; body: Buffer }>();
  for (const file of ['console.html', 'console.js', 'console.css']) {
    assets.set(file === 'console.html' ? '/console' : `/console/${file}`, { type: TYPES[path.extname(file)]!, body: readFileSync(path.join(ASSETS, file)) });
  }
  const viewers = new Set<ServerResponse>();
  let timer: NodeJS.Timeout | undefined;
  let pending = false;

  const snapshot = () =>
    consoleSnapshot({
      feed: options.feed.snapshot(),
      instanceId: options.instanceId,
      configVersion: options.configVersion(),
      bffs: options.bffs(),
      breakers: options.breakers(),
      subscriptions: options.subscriptions?.(),
      fleet: options.fleet?.(),
    });
  const send = () => {
    pending = false;
    if (viewers.size === 0) return;
    const event = `event: snapshot\ndata: ${JSON.stringify(snapshot())}\n\n`;
    for (const viewer of viewers) viewer.write(event);
  };
  const stopTimerIfIdle = () => {
    if (viewers.size > 0 || !timer) return;
    clearInterval(timer);
    timer = undefined;
  };

  return {
    handle(req, res, url) {
      const asset = assets.get(url === '/console/' ? '/console' : url);
      if (asset) {
        res.writeHead(200, { 'content-type': asset.type, 'content-length': asset.body.length, ...SECURITY_HEADERS });
        res.end(req.method === 'HEAD' ? undefined : asset.body);
        return true;
      }
      if (url === '/console/snapshot.json') {
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(snapshot()));
        return true;
      }
      if (url === '/console/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', 'x-accel-buffering': 'no' });
        // A reconnecting browser waits 2 s, so a restarting gateway is not hammered.
        res.write(`retry: 2000\nevent: snapshot\ndata: ${JSON.stringify(snapshot())}\n\n`);
        viewers.add(res);
        res.on('close', () => {
          viewers.delete(res);
          stopTimerIfIdle();
        });
        if (!timer) {
          timer = setInterval(send, pushMs);
          timer.unref();
        }
        return true;
      }
      return false;
    },
    push() {
      if (pending || viewers.size === 0) return;
      // Several breakers flipping together make one push.
      pending = true;
      setImmediate(send);
    },
    snapshot,
    close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      for (const viewer of viewers) viewer.end();
      viewers.clear();
    },
  };
}
