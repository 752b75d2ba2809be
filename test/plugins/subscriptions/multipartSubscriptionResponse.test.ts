import { describe, expect, it } from 'vitest';
import type { ExecutionResult } from 'graphql';
import { porticoError } from '../../../src/errors/index.js';
import { acceptsMultipartSubscriptions, multipartSubscriptionResponse } from '../../../src/plugins/subscriptions/multipartSubscriptionResponse.js';

const formatError = (error: unknown) => ({ message: (error as Error).message, extensions: { code: (error as { extensions?: { code?: string } }).extensions?.code ?? 'INTERNAL_SERVER_ERROR' } });

/** The parts between delimiters, as Apollo Client's reader splits them (boundary "\r\n--graphql"). */
function parts(body: string): unknown[] {
  const chunks = body.split('\r\n--graphql');
  expect(chunks.at(-1)).toBe('--\r\n');
  return chunks.slice(1, -1).map((chunk) => {
    const [headers, json] = chunk.split('\r\n\r\n') as [string, string];
    expect(headers.toLowerCase()).toContain('content-type: application/json');
    return JSON.parse(json);
  });
}

async function* events(results: ExecutionResult[], failWith?: Error): AsyncGenerator<ExecutionResult> {
  for (const result of results) yield result;
  if (failWith) throw failWith;
}

describe('multipartSubscriptionResponse', () => {
  it('writes a heartbeat, then each event as a payload part, then the closing boundary', async () => {
    const response = multipartSubscriptionResponse(events([{ data: { n: 1 } }, { data: { n: 2 } }]), { heartbeatMs: 60_000, formatError });
    expect(response.headers.get('content-type')).toBe('multipart/mixed;boundary="graphql";subscriptionSpec="1.0"');
    expect(parts(await response.text())).toEqual([{}, { payload: { data: { n: 1 } } }, { payload: { data: { n: 2 } } }]);
  });

  it('ends a stream its source failed with a null payload and the coded error, never the internals', async () => {
    const failure = porticoError('SUBGRAPH_UNAVAILABLE', { details: { source: 'orders' } });
    const response = multipartSubscriptionResponse(events([{ data: { n: 1 } }], failure), { heartbeatMs: 60_000, formatError });
    expect(parts(await response.text())).toEqual([
      {},
      { payload: { data: { n: 1 } } },
      { payload: null, errors: [{ message: 'A data source is unavailable.', extensions: { code: 'SUBGRAPH_UNAVAILABLE' } }] },
    ]);
  });

  it('returns the event iterator when the client goes away', async () => {
    let returned = false;
    const never: AsyncIterableIterator<ExecutionResult> = {
      next: () => new Promise(() => {}),
      return: async () => {
        returned = true;
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
    const response = multipartSubscriptionResponse(never, { heartbeatMs: 60_000, formatError });
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    expect(returned).toBe(true);
  });
});

describe('acceptsMultipartSubscriptions', () => {
  it.each([
    ['multipart/mixed;boundary=graphql;subscriptionSpec=1.0,application/json', true],
    ['multipart/mixed; subscriptionSpec="1.0", application/json', true],
    ['multipart/mixed; deferSpec=20220824, application/json', false],
    ['multipart/mixed', false],
    ['text/event-stream', false],
  ])('%s → %s', (accept, expected) => {
    expect(acceptsMultipartSubscriptions(accept)).toBe(expected);
  });
});
