import type { ExecutionResult } from 'graphql';
import type { PorticoPlugin, StaleSource } from '../../context/requestScope.js';

/**
 * Tells the client which parts of the answer are old: when a source failed and the transport
 * served its cached answer instead (src/transport/withFallbackCache.ts), the response gets
 * `extensions.stale: [{ source, ageMs }]`. Without it a client could not tell a fresh answer from
 * a five-minute-old one, and would, for example, show stock that is long gone as available.
 */
export function useStaleExtensions(): PorticoPlugin {
  return {
    onExecute() {
      return {
        onExecuteDone({ args, result, setResult }) {
          const stale = args.contextValue.portico?.stale;
          if (!stale || stale.length === 0 || isAsyncIterable(result)) return;
          setResult(withStale(result, stale));
        },
      };
    },
  };
}

function withStale(result: ExecutionResult, stale: readonly StaleSource[]): ExecutionResult {
  return { ...result, extensions: { ...result.extensions, stale: stale.map((entry) => ({ ...entry })) } };
}

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}
