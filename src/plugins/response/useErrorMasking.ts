import type { GraphQLError, ExecutionResult } from 'graphql';
import { useMaskedErrors } from '@envelop/core';
import { isAsyncIterable, mapAsyncIterator, type Plugin } from 'graphql-yoga';
import { createErrorMasker, type MaskErrorOptions } from './maskError.js';

export type ErrorMaskingOptions = MaskErrorOptions;

/**
 * The last word on what a client may read of an error (maskError.ts decides; this only applies
 * it). Two places, because errors reach the response by two roads:
 * - execution: envelop's masking, as yoga would install it, so plugins that look at a result
 *   after execution (metrics, access log) see the same errors as before;
 * - everything thrown before execution (an HTTP problem yoga finds, an exception in a request
 *   hook) becomes a result that skips execution: those are masked in onResultProcess, the hook
 *   every response passes through before yoga serialises it and picks its HTTP status.
 * The server turns yoga's own masking off so that this entry of the pipeline is the only one.
 */
export function useErrorMasking(options: ErrorMaskingOptions = {}): Plugin {
  const masker = createErrorMasker(options);
  // Masking is not idempotent (a masked copy loses what marks it as ours), and an error masked
  // in execution reaches onResultProcess too: each error is masked once.
  const masked = new WeakSet<object>();
  const mask = (error: unknown): Error => {
    if (typeof error === 'object' && error !== null && masked.has(error)) return error as Error;
    const result = masker(error);
    masked.add(result);
    return result;
  };
  const maskErrors = <T extends { errors?: readonly GraphQLError[] }>(result: T): T => {
    if (!result.errors?.length) return result;
    let changed = false;
    const errors = result.errors.map((error) => {
      const masked = mask(error);
      if (masked !== error) changed = true;
      return masked as GraphQLError;
    });
    return changed ? { ...result, errors } : result;
  };
  // A subsequent payload of @defer/@stream carries its errors in each `incremental` entry.
  const maskAll = (result: ExecutionResult & { incremental?: { errors?: readonly GraphQLError[] }[] }): ExecutionResult => {
    const masked = maskErrors(result);
    if (!result.incremental?.some((entry) => entry.errors?.length)) return masked;
    return { ...masked, incremental: result.incremental.map(maskErrors) } as ExecutionResult;
  };
  return {
    onPluginInit({ addPlugin }) {
      addPlugin(useMaskedErrors({ maskError: (error) => mask(error) }));
    },
    onResultProcess({ result, setResult }) {
      if (isAsyncIterable(result)) {
        setResult(mapAsyncIterator(result, (part) => maskAll(part as ExecutionResult)) as typeof result);
      } else if (Array.isArray(result)) {
        setResult(result.map((one) => maskAll(one as ExecutionResult)) as typeof result);
      } else {
        setResult(maskAll(result as ExecutionResult) as typeof result);
      }
    },
  };
}
