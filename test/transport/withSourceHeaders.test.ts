import { describe, expect, it } from 'vitest';
import { ANONYMOUS } from '../../src/context/principal.js';
import type { RequestScope } from '../../src/context/requestScope.js';
import { fallbackKey, fallbackKeyRest } from '../../src/transport/fallbackKey.js';
import type { UpstreamRequest, UpstreamResponse } from '../../src/transport/httpClient.js';
import { withSourceHeaders } from '../../src/transport/withSourceHeaders.js';

const scope = (extra: Partial<RequestScope> = {}): RequestScope => ({ requestId: 'r1', principal: ANONYMOUS, upstreamHeaders: {}, ...extra });
const answer: UpstreamResponse = { status: 200, headers: { 'cache-control': 'max-age=5' }, body: '{}' };

describe('the source-headers layer', () => {
  it("adds each contributor's headers for the call's source without touching the caller's object, and reports the answer", async () => {
    const seen: UpstreamRequest[] = [];
    const reported: [string, unknown][] = [];
    const call = withSourceHeaders(async (request) => {
      seen.push(request);
      return answer;
    });
    const shared = { accept: 'application/json' };
    const requestScope = scope({
      sourceHeaders: [
        { request: (source) => (source === 'orders/orders' ? { 'x-a': '1' } : undefined), response: (source, headers) => void reported.push([source, headers]) },
        { request: () => ({ 'x-b': '2' }) },
      ],
    });
    await call({ method: 'GET', url: 'http://x/', headers: shared, source: 'orders/orders', scope: requestScope });
    expect(seen[0]!.headers).toEqual({ accept: 'application/json', 'x-a': '1', 'x-b': '2' });
    expect(shared).toEqual({ accept: 'application/json' });
    expect(reported).toEqual([['orders/orders', answer.headers]]);
  });

  it('reports a failed call as no answer, and rethrows', async () => {
    const reported: unknown[] = [];
    const call = withSourceHeaders(async () => {
      throw new Error('down');
    });
    const requestScope = scope({ sourceHeaders: [{ request: () => undefined, response: (_source, headers) => void reported.push(headers) }] });
    await expect(call({ method: 'GET', url: 'http://x/', source: 'users', scope: requestScope })).rejects.toThrow('down');
    expect(reported).toEqual([undefined]);
  });

  it("hands a call with no contributor straight to the layer below: the caller gets that layer's own promise", async () => {
    const below = Promise.resolve(answer);
    const call = withSourceHeaders(() => below);
    const request: UpstreamRequest = { method: 'GET', url: 'http://x/', source: 'products', scope: scope() };
    const answered = call(request);
    expect(answered).toBe(below);
    await expect(answered).resolves.toBe(answer);
    expect(call({ ...request, scope: scope({ sourceHeaders: [] }) })).toBe(below);
  });

  it('turns a layer below that throws instead of rejecting into a rejection, with or without contributors', async () => {
    const call = withSourceHeaders(() => {
      throw new Error('thrown, not rejected');
    });
    const request: UpstreamRequest = { method: 'GET', url: 'http://x/', source: 'products', scope: scope() };
    let answered: Promise<UpstreamResponse> | undefined;
    expect(() => (answered = call(request))).not.toThrow();
    await expect(answered).rejects.toThrow('thrown, not rejected');
    await expect(call({ ...request, scope: scope({ sourceHeaders: [{ request: () => undefined }] }) })).rejects.toThrow('thrown, not rejected');
  });

  it('keys fallback answers by the forwarded header values too, and as before without them', () => {
    const request = (extra: Partial<RequestScope>): UpstreamRequest => ({ method: 'GET', url: 'http://x/p', source: 'products', scope: scope(extra) });
    expect(fallbackKey(request({}))).toBe(fallbackKey({ method: 'GET', url: 'http://x/p', source: 'products' }));
    expect(fallbackKey(request({ forwardedHeadersKey: 'de' }))).not.toBe(fallbackKey(request({ forwardedHeadersKey: 'fr' })));
    expect(fallbackKeyRest(request({ forwardedHeadersKey: 'de' }))).not.toBe(fallbackKeyRest(request({})));
  });
});
