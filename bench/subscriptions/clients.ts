/**
 * One client process of the subscription bench (started by bench/subscriptions.ts with an IPC
 * channel): it holds `count` subscriptions to one gateway over one protocol and measures, for each
 * event, the time from the upstream's publish (`publishedAt`, in the event) to its receipt here.
 *
 * Messages from the bench: `open` (open the subscriptions), `close` (close them and send the
 * latencies). To the bench: `opened`, `warm` (every subscription has had a warm-up event),
 * `got` (every subscription has had event `seq`), `latencies`.
 *
 * SSE: a lean graphql-sse distinct-connections client on node:http (one POST with
 * `accept: text/event-stream` per subscription, one connection each), so the client's own cost
 * stays small. WebSocket: the graphql-ws library's client, one socket per subscription, as that
 * many separate browsers or apps would open.
 */
import { Agent, request } from 'node:http';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { sseFrameReader } from '../../test/support/sseFrames.js';
import { TICK_SUBSCRIPTION, type Tick } from './tickSchema.js';

export type ClientProtocol = 'sse' | 'ws';

export type ToClients = { type: 'open'; protocol: ClientProtocol; url: string; count: number } | { type: 'close' };
export type FromClients =
  | { type: 'opened'; open: number; failed: number; firstError?: string }
  | { type: 'warm' }
  | { type: 'got'; seq: number }
  | { type: 'latencies'; latencies: number[]; wrong: number; firstWrong?: string };

/**
 * Subscriptions opened at once per client process: keeps the gateway's accept backlog from
 * overflowing, and a wave small enough that a gateway on a loaded core answers each socket's
 * `connection_init` within graphql-ws's 3 s (Hive keeps that default; waves of 250 from two
 * processes had one of 5,000 sockets closed with 4408 at a load of 27).
 */
const WAVE = 100;

const send = (message: FromClients) => process.send!(message);
const now = () => performance.timeOrigin + performance.now();

let total = 0;
let warm = 0;
const warmed = new Set<number>();
const receivedPerSeq = new Map<number, number>();
const latencies: number[] = [];
let wrong = 0;
let firstWrong: string | undefined;
const closers: (() => void)[] = [];
let closing = false;

function unexpected(what: string) {
  wrong += 1;
  firstWrong ??= what;
}

/** One event on subscription `id`; negative `seq` is a warm-up event. */
function onEvent(id: number, payload: { data?: { tick?: Tick } | null; errors?: unknown }) {
  const at = now();
  const tick = payload.data?.tick;
  if (!tick || payload.errors) {
    wrong += 1;
    firstWrong ??= JSON.stringify(payload).slice(0, 300);
    return;
  }
  if (tick.seq < 0) {
    if (!warmed.has(id)) {
      warmed.add(id);
      if (++warm === total) send({ type: 'warm' });
    }
    return;
  }
  latencies.push(at - tick.publishedAt);
  const got = (receivedPerSeq.get(tick.seq) ?? 0) + 1;
  receivedPerSeq.set(tick.seq, got);
  if (got === total) {
    receivedPerSeq.delete(tick.seq);
    send({ type: 'got', seq: tick.seq });
  }
}

const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
const body = JSON.stringify({ query: TICK_SUBSCRIPTION, variables: {} });

function openSse(url: string, id: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', accept: 'text/event-stream' } });
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        reject(new Error(`SSE: HTTP ${res.statusCode}`));
        return;
      }
      resolve();
      res.setEncoding('utf8');
      res.on(
        'data',
        sseFrameReader(({ event, data }) => {
          if (event === 'next' && data) onEvent(id, JSON.parse(data) as never);
          else if (event === 'complete') unexpected('SSE complete before the client closed');
        }),
      );
      res.on('end', () => {
        if (!closing) unexpected('SSE stream ended before the client closed');
      });
      res.on('error', () => undefined);
    });
    req.on('error', reject);
    req.end(body);
    closers.push(() => req.destroy());
  });
}

function openWs(url: string, id: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const client: Client = createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      lazy: false,
      retryAttempts: 0,
      // The bench measures delivery, not keep-alive: the server's pings are answered by ws itself.
      keepAlive: 0,
      on: {
        connected: () => {
          settled = true;
          resolve();
        },
        closed: (event) => {
          if (!settled) {
            settled = true;
            reject(new Error(`WebSocket closed before connection_ack: ${(event as { code?: number }).code ?? '?'}`));
          }
        },
      },
    });
    client.subscribe(
      { query: TICK_SUBSCRIPTION },
      {
        next: (result) => onEvent(id, result as never),
        error: (error) => unexpected(describeError(error)),
        complete: () => {
          if (!closing) unexpected('WebSocket subscription completed before the client closed');
        },
      },
    );
    closers.push(() => void client.dispose());
  });
}

/** graphql-ws reports a closed socket as its CloseEvent, whose fields JSON.stringify does not show. */
function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  const event = error as { code?: number; reason?: string; message?: string; type?: string };
  if (typeof event?.code === 'number') return `socket closed ${event.code} ${event.reason ?? ''}`.trim();
  if (typeof event?.message === 'string') return `${event.type ?? 'error'}: ${event.message}`;
  return `${Object.prototype.toString.call(error)} ${JSON.stringify(error)}`.slice(0, 300);
}

process.on('message', (message: ToClients) => {
  if (message.type === 'open') {
    void (async () => {
      total = message.count;
      let failed = 0;
      let firstError: string | undefined;
      const open = message.protocol === 'sse' ? openSse : openWs;
      for (let i = 0; i < message.count; i += WAVE) {
        const wave = Array.from({ length: Math.min(WAVE, message.count - i) }, (_, k) => open(message.url, i + k));
        for (const outcome of await Promise.allSettled(wave)) {
          if (outcome.status === 'rejected') {
            failed += 1;
            firstError ??= outcome.reason instanceof Error ? outcome.reason.message : String(outcome.reason);
          }
        }
      }
      send({ type: 'opened', open: message.count - failed, failed, ...(firstError ? { firstError } : {}) });
    })();
  } else {
    closing = true;
    for (const close of closers) close();
    agent.destroy();
    send({ type: 'latencies', latencies, wrong, ...(firstWrong ? { firstWrong } : {}) });
  }
});
process.on('disconnect', () => process.exit(0));
