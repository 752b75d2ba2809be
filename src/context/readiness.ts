/**
 * Whether a BFF takes traffic. One per BFF for the life of the process (reloads keep it): the
 * server turns it off when a drain starts, `/readyz` (src/plugins/edge/useHealthEndpoints.ts)
 * reports it, and both are handed the same object by the runtime.
 */
export interface Readiness {
  isReady(): boolean;
  /** From now on `/readyz` answers 503; requests are still served (the first step of a drain). */
  markUnready(): void;
}

export function createReadiness(): Readiness {
  let ready = true;
  return {
    isReady: () => ready,
    markUnready() {
      ready = false;
    },
  };
}
