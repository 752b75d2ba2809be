import type { RequestScope } from './requestScope.js';

/** Runs a request through a BFF's whole pipeline, in process, with the given server context. */
export type PipelineFetch = (request: Request, serverContext: { portico: RequestScope }) => Promise<Response>;

/**
 * The way back into a BFF's own pipeline, for plugins that re-enter it (partner REST routes run
 * their stored operation as a GraphQL request). The pipeline is a list of plugins and the yoga
 * instance that runs it is made from that list, so the entry is created with the list and bound
 * by the server once its yoga exists.
 */
export interface PipelineEntry {
  /** Rejects until the server has bound the entry (a request cannot arrive before that). */
  fetch: PipelineFetch;
  bind(fetch: PipelineFetch): void;
}

export function createPipelineEntry(): PipelineEntry {
  let bound: PipelineFetch | undefined;
  return {
    fetch(request, serverContext) {
      if (!bound) return Promise.reject(new Error('the server has not bound this pipeline yet'));
      return bound(request, serverContext);
    },
    bind(fetch) {
      bound = fetch;
    },
  };
}
