import { request, type Agent, type IncomingMessage } from 'node:http';
import { sseFrameReader } from './sseFrames.js';

export interface SseEvent {
  event: string;
  data: string;
  /** performance.now() when it was read: what a latency is measured to. */
  at: number;
}

export interface SseSubscription {
  /** The response status and headers, once they arrive. */
  response: Promise<IncomingMessage>;
  /** Every event so far (`next` and `complete`), in order. */
  events: SseEvent[];
  /** `next` payloads parsed, in order. */
  results(): { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] }[];
  /** Every byte of the body so far, as text: what a client could ever see. */
  raw(): string;
  /** Comment lines (`:`) so far: the server's heartbeats. */
  heartbeats(): number;
  /** Resolves once `predicate` holds on the events, checked as each arrives (no polling). */
  until(predicate: (subscription: SseSubscription) => boolean, label?: string, timeoutMs?: number): Promise<void>;
  /** Resolves when the body ends, with whether a `complete` event came first. */
  ended: Promise<{ completed: boolean }>;
  /** Stops reading the body (the socket fills up, as with a client on a stuck network). */
  pause(): void;
  resume(): void;
  /** Closes the connection from the client's side. */
  close(): void;
}

export interface SseSubscribeOptions {
  url: string;
  query: string;
  variables?: Record<string, unknown>;
  token?: string;
  agent?: Agent;
}

/**
 * A GraphQL-over-SSE client in the `graphql-sse` distinct-connections mode: one POST per
 * operation with `Accept: text/event-stream`, events `next` (an execution result) and `complete`.
 * Written on node:http so a test can stop reading (pause) like a client whose network stalls.
 */
export function sseSubscribe(options: SseSubscribeOptions): SseSubscription {
  const body = JSON.stringify({ query: options.query, variables: options.variables ?? {} });
  const events: SseEvent[] = [];
  let raw = '';
  let heartbeats = 0;
  const watchers = new Set<() => void>();
  let responseRef: IncomingMessage | undefined;
  let resolveResponse!: (response: IncomingMessage) => void;
  let rejectResponse!: (error: unknown) => void;
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    resolveResponse = resolve;
    rejectResponse = reject;
  });
  let resolveEnded!: (value: { completed: boolean }) => void;
  const ended = new Promise<{ completed: boolean }>((resolve) => (resolveEnded = resolve));
  const notify = () => {
    for (const watcher of [...watchers]) watcher();
  };
  const req = request(options.url, {
    method: 'POST',
    ...(options.agent ? { agent: options.agent } : {}),
    headers: {
      'content-type': 'application/json',
      accept: 'text/event-stream',
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
    },
  });
  req.on('response', (res) => {
    responseRef = res;
    resolveResponse(res);
    res.setEncoding('utf8');
    const read = sseFrameReader(({ event, data, comment }) => {
      if (comment && data === '' && event === 'message') heartbeats += 1;
      else events.push({ event, data, at: performance.now() });
    });
    res.on('data', (chunk: string) => {
      raw += chunk;
      read(chunk);
      notify();
    });
    const finish = () => {
      resolveEnded({ completed: events.some((e) => e.event === 'complete') });
      notify();
    };
    res.on('end', finish);
    res.on('close', finish);
    // A reset connection ends the stream like a close: `ended` says whether `complete` came first.
    res.on('error', finish);
  });
  req.on('error', (error) => {
    rejectResponse(error);
    resolveEnded({ completed: events.some((e) => e.event === 'complete') });
    notify();
  });
  req.end(body);

  const subscription: SseSubscription = {
    response,
    events,
    results: () => events.filter((e) => e.event === 'next').map((e) => JSON.parse(e.data)),
    raw: () => raw,
    heartbeats: () => heartbeats,
    until(predicate, label = 'condition', timeoutMs = 30_000) {
      if (predicate(subscription)) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`SSE: no ${label} within ${timeoutMs} ms; events: ${JSON.stringify(events).slice(0, 500)}`));
        }, timeoutMs);
        const check = () => {
          if (!predicate(subscription)) return;
          clearTimeout(timer);
          watchers.delete(check);
          resolve();
        };
        watchers.add(check);
      });
    },
    ended,
    pause: () => responseRef?.pause(),
    resume: () => responseRef?.resume(),
    close: () => req.destroy(),
  };
  return subscription;
}
