import { isAsyncIterable } from '@envelop/core';
import type { ExecutionResult } from 'graphql';
import { ANONYMOUS } from '../../context/principal.js';
import type { PorticoPlugin } from '../../context/requestScope.js';
import { porticoError } from '../../errors/index.js';
import { guardEvents, type GuardedEvents } from './guardEvents.js';
import type { EndReason, Refusal, SubscriptionRegistry } from './subscriptionRegistry.js';

export interface SubscriptionPoliciesOptions {
  /** The process's registry (src/runtime/startPortico.ts), shared by every BFF and kept across reloads. */
  registry: SubscriptionRegistry;
  /** Names the BFF: per-principal caps are per BFF. */
  bff: string;
  /** @default 20 (src/config/subscriptionsSchema.ts gives the reason) */
  maxPerPrincipal?: number;
  /** @default 64 (src/config/subscriptionsSchema.ts gives the reason) */
  maxBufferedEvents?: number;
  /** `Retry-After` of a refusal when the process is full, in seconds. @default 5 */
  retryAfterSeconds?: number;
}

/**
 * Policies on long-lived operations, as a layer over the AsyncIterable that execution returns, so
 * every client protocol (SSE, WebSocket, multipart) gets them alike:
 *
 * - admission: the caller's and the process's caps (429 SUBSCRIPTION_LIMIT_REACHED; 503
 *   SUBSCRIPTIONS_AT_CAPACITY with `Retry-After`, also while draining);
 * - the credential's life: at the token's `exp` the stream ends with TOKEN_EXPIRED, on a
 *   revocation anywhere in the fleet with TOKEN_REVOKED;
 * - a bounded buffer: a consumer `maxBufferedEvents` behind is ended with SLOW_CONSUMER;
 * - the drain: SIGTERM completes every stream (no error: the client reconnects elsewhere).
 *
 * An ended stream's last event is `{ errors: [<code>] }`, then it completes; what a protocol makes
 * of that (an SSE `next` then `complete`; a WebSocket `next`/`complete`, or a close code) is the
 * protocol's. Authentication, cost and field authorization run before this plugin, in their own.
 * Listed after every plugin that may refuse a subscription, so a refused one holds no slot.
 */
export function useSubscriptionPolicies(options: SubscriptionPoliciesOptions): PorticoPlugin {
  const { registry, bff } = options;
  const maxPerPrincipal = options.maxPerPrincipal ?? 20;
  const maxBuffered = options.maxBufferedEvents ?? 64;
  const retryAfter = String(options.retryAfterSeconds ?? 5);
  const refusal = (refused: Refusal) =>
    refused === 'principal'
      ? porticoError('SUBSCRIPTION_LIMIT_REACHED', { details: { limit: maxPerPrincipal } })
      : porticoError('SUBSCRIPTIONS_AT_CAPACITY', { headers: { 'Retry-After': retryAfter }, ...(refused === 'draining' ? { details: { reason: 'draining' } } : {}) });

  return {
    onSubscribe({ args, setResultAndStopExecution }) {
      const principal = args.contextValue.portico?.principal ?? ANONYMOUS;
      let guard: GuardedEvents<ExecutionResult> | undefined;
      let endedEarly: EndReason | undefined;
      const end = (reason: EndReason) => {
        if (!guard) endedEarly = reason;
        else if (reason === 'DRAINING') guard.end();
        else guard.end({ errors: [porticoError(reason)] });
      };
      const admitted = registry.admit({ bff, principal, maxPerPrincipal, end });
      if ('refused' in admitted) {
        setResultAndStopExecution({ errors: [refusal(admitted.refused)] });
        return undefined;
      }
      const { lease } = admitted;
      return {
        onSubscribeResult({ result, setResult }) {
          if (!isAsyncIterable(result)) {
            lease.release();
            return;
          }
          // The client is gone (the request's signal, which a protocol aborts when the operation's
          // connection or its `complete` goes): the stream ends and its slot frees now, not at the
          // next event's failed write. (yoga's SSE pump never cancels a stream by itself.)
          const signal = args.contextValue.portico?.signal;
          const onAbort = () => guard?.end();
          guard = guardEvents(result as AsyncIterable<ExecutionResult>, {
            maxBuffered,
            overflow: () => ({ errors: [porticoError('SLOW_CONSUMER', { details: { maxBufferedEvents: maxBuffered } })] }),
            onClose: () => {
              signal?.removeEventListener('abort', onAbort);
              lease.release();
            },
          });
          setResult(guard);
          if (endedEarly) end(endedEarly);
          else if (signal?.aborted) guard.end();
          else signal?.addEventListener('abort', onAbort, { once: true });
        },
      };
    },
  };
}
