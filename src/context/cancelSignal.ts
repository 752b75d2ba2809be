/**
 * What Portico's upstream calls need of an abort signal: whether it fired, why, and an `abort`
 * event. A real `AbortSignal` is one; so is the lighter `CancelSignal` below, which the request
 * scope, the deadline leases and in-flight dedup make for every request and call instead.
 * undici's dispatcher takes either (it reads `aborted` and `reason` and listens for `abort`).
 */
export interface CallSignal {
  readonly aborted: boolean;
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: AbortListener, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: AbortListener): void;
}

export type AbortListener = (() => void) | { handleEvent(): void };

/**
 * A one-shot abort signal without node's `AbortSignal` machinery.
 *
 * Why: on Node 20 every `AbortSignal` gets hidden classes of its own (node makes it an
 * `EventTarget` and then swaps its prototype, so no two signals share a shape): three new maps
 * and their descriptor arrays, ~0.5 KB, that V8 keeps in the old generation. A request and each
 * of its upstream calls used to make one or two, so each request left ~1 KB there, a
 * mark-compact pause every few seconds under load (bench/README.md, "Speed work"). This class
 * has one shape for all its instances and keeps its listeners in an array.
 *
 * It fires once: listeners added after it fired are never called (as with `{ once: true }` on an
 * aborted AbortSignal, nothing is dispatched again). A listener that throws does not stop the
 * others; its error is reported on the next turn, as an EventTarget's would be.
 */
export class CancelSignal implements CallSignal {
  #aborted = false;
  #reason: unknown = undefined;
  // A listener removed while the signal fires leaves a hole, so the loop in abort() skips it.
  #listeners: (AbortListener | undefined)[] | undefined = undefined;

  get aborted(): boolean {
    return this.#aborted;
  }

  get reason(): unknown {
    return this.#reason;
  }

  addEventListener(type: 'abort', listener: AbortListener): void {
    if (type !== 'abort' || this.#aborted) return;
    const listeners = (this.#listeners ??= []);
    if (!listeners.includes(listener)) listeners.push(listener);
  }

  removeEventListener(type: 'abort', listener: AbortListener): void {
    const listeners = this.#listeners;
    if (type !== 'abort' || listeners === undefined) return;
    const at = listeners.indexOf(listener);
    if (at < 0) return;
    // Firing: as with an EventTarget, a listener an earlier one removes is not told.
    if (this.#aborted) listeners[at] = undefined;
    // Usually the last one added: the call that listened last settles first.
    else if (at === listeners.length - 1) listeners.pop();
    else listeners.splice(at, 1);
  }

  throwIfAborted(): void {
    if (this.#aborted) throw this.#reason;
  }

  /** Fires the signal (once) with `reason`, an `AbortError` DOMException unless given. */
  abort(reason?: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason === undefined ? new DOMException('This operation was aborted', 'AbortError') : reason;
    const listeners = this.#listeners;
    if (listeners === undefined) return;
    for (let i = 0; i < listeners.length; i++) {
      const listener = listeners[i];
      if (listener === undefined) continue;
      listeners[i] = undefined;
      try {
        if (typeof listener === 'function') listener();
        else listener.handleEvent();
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
    this.#listeners = undefined;
  }
}
