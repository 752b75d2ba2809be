import type { PubSub } from './pubSub.js';

export interface NoticeListener {
  /** Resolves once the subscription is active; rejects when it cannot be made (also told to `onError`). */
  active: Promise<unknown>;
  /** Unsubscribes; does nothing while the subscription is still pending, and never throws. */
  stop(): Promise<void>;
}

/**
 * Listens on a fleet channel of JSON notices (config versions, heartbeats, rollbacks): each
 * message is parsed, one that is not JSON is dropped (anyone who can reach the store can publish),
 * and a subscription that fails is reported to `onError` rather than left unhandled. What a
 * notice means, and whether it is this instance's own, is the caller's to decide.
 */
export function listenForNotices(pubsub: PubSub, channel: string, onNotice: (notice: unknown) => void, onError: (error: unknown) => void): NoticeListener {
  let unsubscribe: (() => Promise<void>) | undefined;
  const active = pubsub.subscribe(channel, (raw) => {
    let notice: unknown;
    try {
      notice = JSON.parse(raw);
    } catch {
      return;
    }
    onNotice(notice);
  });
  active.then((off) => (unsubscribe = off), onError);
  return {
    active,
    async stop() {
      await unsubscribe?.().catch(() => {});
    },
  };
}
