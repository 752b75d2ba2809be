import type { ExecutionResult } from 'graphql';

/**
 * The results of a GraphQL-over-SSE response body (the `next`/`complete` events yoga writes), as
 * an iterator whose `return()` cancels the body at once: an unsubscribe must not wait for the
 * next event to arrive, as an async generator's `return()` would.
 */
export function readEventStream(body: ReadableStream<Uint8Array>, onEnd: () => void): AsyncIterableIterator<ExecutionResult> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let ended = false;
  const end = () => {
    if (ended) return;
    ended = true;
    void reader.cancel().catch(() => undefined);
    onEnd();
  };
  const done = (): IteratorResult<ExecutionResult> => ({ done: true, value: undefined });
  return {
    async next() {
      while (!ended) {
        // One event per blank line; comments (`:` keep-alives) and unknown fields are skipped.
        let boundary = buffer.indexOf('\n\n');
        while (boundary !== -1) {
          const block = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          let event = 'message';
          const data: string[] = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          if (event === 'complete') {
            end();
            return done();
          }
          if (event === 'next' && data.length > 0) return { done: false, value: JSON.parse(data.join('\n')) as ExecutionResult };
          boundary = buffer.indexOf('\n\n');
        }
        const chunk = await reader.read().catch(() => ({ done: true as const, value: undefined }));
        if (chunk.done) break;
        buffer += decoder.decode(chunk.value, { stream: true }).replaceAll('\r\n', '\n');
      }
      end();
      return done();
    },
    async return() {
      end();
      return done();
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
