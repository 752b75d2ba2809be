import type { BffHeadersConfig, SourceHeadersConfig } from '../../config/headersSchema.js';
import type { PorticoPlugin, RequestScope } from '../../context/requestScope.js';
import { sourceOf, type SourceHeaderContributor } from '../../context/sourceHeaders.js';
import { collectedValues, compileHeaderRules, type ClientHeaders, type CollectedHeader } from './compileHeaderRules.js';
import { mergeCacheControl, NO_STORE, parseCacheControl, restrictToPrivate, type CachePolicy } from './mergeCacheControl.js';

export interface HeaderRulesOptions {
  /** The BFF's `headers` (src/config/headersSchema.ts documents each key and default). */
  headers: BffHeadersConfig;
  /** Each of the BFF's sources' `headers`, by source name. @default {} */
  sources?: Readonly<Record<string, SourceHeadersConfig | undefined>>;
  /**
   * The BFF's API key header (`auth.apiKeys.header`): a credential like `authorization`, so only a
   * rule naming it forwards it. @default 'x-api-key', which is always one
   */
  apiKeyHeader?: string;
}

/** One request's side of the rules: who sent what, and what the sources answered. */
interface RequestState {
  client: ClientHeaders;
  /** Per source (or federation subgraph) name: the headers its calls carry, computed once. */
  outgoing: Map<string, Record<string, string> | undefined>;
  /** Passed-back headers, by the name the client sees. */
  passedBack: Map<string, CollectedHeader>;
  /** Each source answer's Cache-Control (NO_STORE for a failure or, by default, none). */
  cachePolicies: CachePolicy[];
  /** The result carried errors: not an answer anyone may keep. */
  errored: boolean;
}

/**
 * Header rules (docs/headers.md): client request headers to sources by allow-list (rename,
 * default, fixed values, removal per source), source response headers back to the client by
 * allow-list, and the sources' `Cache-Control` merged strictest-wins onto the client's response.
 *
 * Nothing is forwarded without a rule: credentials (`authorization`, `cookie`, `x-api-key`) only
 * by a rule that names them, hop-by-hop headers never (config refuses them; the names a message's
 * own `Connection` lists are dropped here). The rules are applied where every source call is made,
 * the source transport (src/transport/withSourceHeaders.ts), so they hold on both engines and for
 * REST and GraphQL sources alike.
 *
 * Hooks: onRequest registers the request's contributor on the scope (before any source call) and
 * records the digest of the forwarded values, which the response and fallback caches key by;
 * onResponse writes the passed-back headers and the merged Cache-Control. It must come after the
 * response cache in the pipeline list: yoga runs onResponse hooks in list order, and the merge
 * reads the response cache's own Cache-Control as one more part.
 */
export function useHeaderRules(options: HeaderRulesOptions): PorticoPlugin {
  const rules = compileHeaderRules(options.headers, options.sources ?? {}, options.apiKeyHeader === undefined ? [] : [options.apiKeyHeader]);
  const { merge, whenAbsent } = options.headers.cacheControl;
  const states = new WeakMap<RequestScope, RequestState>();

  const contributorFor = (state: RequestState): SourceHeaderContributor => ({
    request(name) {
      const source = sourceOf(name);
      if (state.outgoing.has(source)) return state.outgoing.get(source);
      const headers = rules.requestHeaders(source, state.client);
      state.outgoing.set(source, headers);
      return headers;
    },
    response(name, headers) {
      if (headers === undefined) {
        if (merge) state.cachePolicies.push(NO_STORE);
        return;
      }
      rules.collectResponse(sourceOf(name), headers, state.passedBack);
      if (!merge) return;
      const value = headers['cache-control'];
      if (value !== undefined) state.cachePolicies.push(parseCacheControl(Array.isArray(value) ? value.join(', ') : value));
      else if (whenAbsent === 'no-store') state.cachePolicies.push(NO_STORE);
    },
  });

  return {
    onRequest({ request, serverContext }) {
      const scope = serverContext.portico;
      // A partner route re-enters the pipeline with the same scope: one state serves both.
      if (!scope || states.has(scope) || (!rules.active && !merge)) return;
      const state: RequestState = { client: request.headers, outgoing: new Map(), passedBack: new Map(), cachePolicies: [], errored: false };
      states.set(scope, state);
      const key = rules.forwardedKey(request.headers);
      if (key !== undefined) scope.forwardedHeadersKey = key;
      (scope.sourceHeaders ??= []).push(contributorFor(state));
    },
    onResultProcess({ result, serverContext }) {
      const state = serverContext.portico && states.get(serverContext.portico);
      if (!state) return;
      for (const single of Array.isArray(result) ? result : [result]) {
        if ((single as { errors?: readonly unknown[] }).errors?.length) state.errored = true;
      }
    },
    onResponse({ response, serverContext }) {
      const scope = serverContext.portico;
      const state = scope && states.get(scope);
      if (!scope || !state) return;
      for (const [name, collected] of state.passedBack) {
        const values = collectedValues(collected);
        if (name === 'set-cookie') for (const value of values) response.headers.append(name, value);
        else if (values.length > 0) response.headers.set(name, values.join(', '));
      }
      let cacheControl = response.headers.get('cache-control') ?? undefined;
      if (merge) {
        const parts = [...state.cachePolicies];
        if (cacheControl !== undefined) parts.push(parseCacheControl(cacheControl));
        // A failed or partly stale answer is nobody's to keep, whatever the sources said.
        if (parts.length > 0 && (response.status !== 200 || state.errored || (scope.stale?.length ?? 0) > 0)) parts.push(NO_STORE);
        cacheControl = mergeCacheControl(parts);
      }
      if (cacheControl === undefined) return;
      // A shared cache must not keep what was answered for a credentialed caller, or from a
      // credential the rules forwarded: it would hand it to callers the gateway never checked.
      if (scope.principal.kind !== 'anonymous' || rules.forwardsCredentials(state.client)) cacheControl = restrictToPrivate(cacheControl);
      response.headers.set('cache-control', cacheControl);
    },
  };
}
