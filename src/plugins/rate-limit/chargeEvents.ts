import type { ExecutionResult, GraphQLError } from 'graphql';

/**
 * A subscription's events, each charged before it is passed on: `charge` answers undefined when
 * the caller's buckets paid for it, or the error that ends the subscription instead. The refused
 * event is not delivered (nothing is sent the caller did not pay for); the error takes its place
 * as the stream's last event, the source's stream is closed, and the stream completes.
 *
 * Events are charged one at a time, in the order they come: a charge that waits on the store
 * (Redis) holds the next event back rather than letting it overtake.
 */
export function chargeEvents(
  events: AsyncIterable<ExecutionResult>,
  charge: () => Promise<GraphQLError | undefined>,
): AsyncIterableIterator<ExecutionResult> {
  const source = events[Symbol.asyncIterator]();
  let ended = false;
  const end = async () => {
    if (ended) return;
    ended = true;
    await source.return?.();
  };
  return {
    async next(): Promise<IteratorResult<ExecutionResult>> {
      if (ended) return { done: true, value: undefined };
      const step = await source.next();
      if (step.done) {
        ended = true;
        return step;
      }
      const refusal = await charge();
      if (!refusal) return step;
      await end();
      return { done: false, value: { errors: [refusal] } };
    },
    async return(): Promise<IteratorResult<ExecutionResult>> {
      await end();
      return { done: true, value: undefined };
    },
    async throw(error: unknown): Promise<IteratorResult<ExecutionResult>> {
      await end();
      throw error;
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
