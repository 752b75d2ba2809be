import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { composeTransport } from '../../src/transport/composeTransport.js';
import { createDeadlineSignals } from '../../src/transport/deadlineSignals.js';
import { DEADLINE_HEADER, withDeadline, withDeadlineHeader } from '../../src/transport/withDeadline.js';
import { wasNotSent } from '../../src/transport/upstreamFailure.js';
import { manualClock, read, startTestUpstream, testScope, type TestUpstream } from './testUpstream.js';

let upstream: TestUpstream;
beforeAll(async () => {
  upstream = await startTestUpstream();
});
afterAll(() => upstream[Symbol.asyncDispose]());
beforeEach(() => {
  upstream.seen.length = 0;
  upstream.behave({ status: 200, body: { ok: true } });
});

describe('the deadline', () => {
  it('refuses to start a call when the request budget is already spent, with SUBGRAPH_TIMEOUT and no upstream request', async () => {
    const clock = manualClock();
    const call = composeTransport(upstream.http.call, [withDeadline({ source: 'test', timeoutMs: 1_000, now: clock.now }), withDeadlineHeader({ now: clock.now })]);
    const scope = testScope({ deadline: clock.now() + 100 });
    clock.advance(100);
    const failure = await call(read(upstream, '/a', scope)).catch((error: unknown) => error);
    expect(failure).toMatchObject({ extensions: { code: 'SUBGRAPH_TIMEOUT', source: 'test' } });
    expect(wasNotSent(failure)).toBe(true);
    expect(upstream.seen).toHaveLength(0);
  });

  it('tells the upstream the time left in x-portico-deadline-ms, cut to the request budget', async () => {
    const clock = manualClock();
    const call = composeTransport(upstream.http.call, [withDeadline({ source: 'test', timeoutMs: 5_000, now: clock.now }), withDeadlineHeader({ now: clock.now })]);
    await call(read(upstream, '/a', testScope({ deadline: clock.now() + 1_234 })));
    await call(read(upstream, '/b', testScope()));
    expect(upstream.seen.map((request) => request.headers[DEADLINE_HEADER])).toEqual(['1234', '5000']);
  });

  it('stamps each attempt with the time left when it is sent, so a later attempt carries less', async () => {
    const clock = manualClock();
    const stampThenAge = composeTransport(upstream.http.call, [
      withDeadline({ source: 'test', timeoutMs: 1_000, now: clock.now }),
      (next) => async (request) => {
        await next(request);
        clock.advance(300);
        return next(request);
      },
      withDeadlineHeader({ now: clock.now }),
    ]);
    await stampThenAge(read(upstream, '/a', testScope()));
    expect(upstream.seen.map((request) => request.headers[DEADLINE_HEADER])).toEqual(['1000', '700']);
  });

  it('lets a call of a request reuse the deadline of an earlier one, to any source, when that cuts it short by at most timeoutMs/20', async () => {
    const clock = manualClock();
    const signals = createDeadlineSignals();
    const transportOf = (source: string) =>
      composeTransport(upstream.http.call, [withDeadline({ source, timeoutMs: 5_000, now: clock.now, signals }), withDeadlineHeader({ now: clock.now })]);
    const products = transportOf('products');
    const reviews = transportOf('reviews');
    const client = new AbortController();
    const scope = testScope({ signal: client.signal });
    const readOf = (path: string) => ({ ...read(upstream, path, scope), signal: client.signal });
    await products(readOf('/a'));
    clock.advance(200);
    await reviews(readOf('/b'));
    clock.advance(100);
    await products(readOf('/c'));
    // 200 ms later the first deadline is 4 800 ms away (within 250 ms of 5 000): shared. 300 ms
    // later it is not: the call gets its own full 5 000 ms.
    expect(upstream.seen.map((request) => request.headers[DEADLINE_HEADER])).toEqual(['5000', '4800', '5000']);
  });

  it('aborts a call that outlives the source timeout with SUBGRAPH_TIMEOUT', async () => {
    upstream.behave({ hang: true });
    const call = composeTransport(upstream.http.call, [withDeadline({ source: 'test', timeoutMs: 50 })]);
    await expect(call(read(upstream, '/slow', testScope()))).rejects.toMatchObject({ extensions: { code: 'SUBGRAPH_TIMEOUT' } });
    expect(upstream.seen).toHaveLength(1);
  });
});
