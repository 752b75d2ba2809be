/**
 * Notices between the instances of a fleet (src/runtime/fleet.ts): config reloads, with the
 * fleet's config version so an instance that missed a notice catches up on its next resync.
 *
 * Pub/sub is fire-and-forget (Redis keeps no backlog for a subscriber that was disconnected), so
 * nothing may depend on every message arriving: the version counter is the truth, messages only
 * make instances look at it sooner.
 */
export interface PubSub {
  publish(channel: string, message: string): Promise<void>;
  /** Resolves once the subscription is active; the result unsubscribes. */
  subscribe(channel: string, listener: (message: string) => void): Promise<() => Promise<void>>;
  /** The fleet's current value of a counter (0 when never bumped). */
  counter(name: string): Promise<number>;
  /** Adds one to a counter and returns the new value, atomically across the fleet. */
  bump(name: string): Promise<number>;
  close(): Promise<void>;
}
