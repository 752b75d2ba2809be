import { describe, expect, it } from 'vitest';
import type { UpstreamAttempt, UpstreamOutcome, UpstreamWatch } from '../../src/context/upstreamObserver.js';
import type { RequestScope } from '../../src/context/requestScope.js';
import { watchAttempt } from '../../src/transport/watchAttempt.js';
import type { UpstreamRequest } from '../../src/transport/upstreamCall.js';

const requestWith = (scope: Partial<RequestScope>, extra: Partial<UpstreamRequest> = {}): UpstreamRequest => ({
  method: 'POST',
  url: 'http://127.0.0.1:1/graphql',
  source: 'orders',
  scope: scope as RequestScope,
  ...extra,
});

/** A clock the test moves by hand. */
function clock(start = 1_000) {
  let at = start;
  return { now: () => at, advance: (ms: number) => (at += ms) };
}

describe('watchAttempt', () => {
  it('costs nothing when the request has no observers', () => {
    expect(watchAttempt(requestWith({}))).toBeUndefined();
    expect(watchAttempt(requestWith({ upstreamObservers: [] }))).toBeUndefined();
  });

  it("tells every observer the attempt's outcome and duration, once, with the attempt it ended", () => {
    const time = clock();
    const ended: [string, UpstreamOutcome, UpstreamAttempt][] = [];
    const observer = (name: string) => (): UpstreamWatch => ({ end: (outcome, attempt) => void ended.push([name, outcome, attempt]) });
    const watch = watchAttempt(requestWith({ upstreamObservers: [observer('log'), observer('trace')] }, { version: 'v2' }), false, time.now)!;
    time.advance(12.345);
    watch.end({ status: 200 });
    watch.end({ errorCode: 'SUBGRAPH_TIMEOUT' });
    expect(ended.map(([name]) => name)).toEqual(['log', 'trace']);
    for (const [, outcome, attempt] of ended) {
      expect(outcome).toEqual({ status: 200, durationMs: 12.35 });
      expect(attempt).toEqual({ source: 'orders', method: 'POST', url: 'http://127.0.0.1:1/graphql', version: 'v2' });
    }
  });

  it('lets one watch object serve every attempt of a request, telling them apart by the attempt', () => {
    const seen: string[] = [];
    const shared: UpstreamWatch = { end: (outcome, attempt) => void seen.push(`${attempt.source}${attempt.joined ? ' (joined)' : ''}: ${outcome.errorCode ?? outcome.status}`) };
    const scope = { upstreamObservers: [() => shared] };
    const first = watchAttempt(requestWith(scope, { source: 'users' }))!;
    const second = watchAttempt(requestWith(scope, { source: 'orders' }), true)!;
    second.end({ errorCode: 'SUBGRAPH_UNAVAILABLE' });
    first.end({ status: 200 });
    expect(seen).toEqual(['orders (joined): SUBGRAPH_UNAVAILABLE', 'users: 200']);
  });

  it("merges the observers' headers, skipping an observer that does not watch", () => {
    const watch = watchAttempt(
      requestWith({
        upstreamObservers: [() => undefined, () => ({ headers: { traceparent: '00-a-b-01' }, end() {} }), () => ({ headers: { 'x-extra': '1' }, end() {} })],
      }),
    )!;
    expect(watch.headers).toEqual({ traceparent: '00-a-b-01', 'x-extra': '1' });
  });
});
