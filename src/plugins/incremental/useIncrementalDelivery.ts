import type { DocumentNode, ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { useDeferStream } from '@graphql-yoga/plugin-defer-stream';
import { executeIncrementally } from './executeIncrementally.js';
import { splitDeferredOperation, usesIncrementalDelivery, withoutIncrementalDirectives, type DeferredSplit } from './splitDeferredOperation.js';

/** Media types whose answer can carry more than one payload: the client asks for incremental delivery. */
const INCREMENTAL_MEDIA_TYPES = ['multipart/mixed', 'text/event-stream'];

/** Splits kept per document; as the planners bound their plans per document (32). */
const MAX_SPLITS_PER_DOCUMENT = 32;

/**
 * `@defer` and `@stream` on every BFF, through whichever engine runs the operation (a planner,
 * stitching, or a planner's stitching fallback). docs/defer-stream.md is the user's page.
 *
 * - A client that lists `multipart/mixed` (or `text/event-stream`) in `Accept` gets incremental
 *   delivery: the operation is split (splitDeferredOperation) into an initial part and one part
 *   per active `@defer`, each executed as an ordinary operation, all started at once, so the
 *   first payload never waits for a deferred fetch; `@stream` lists are fetched whole and their
 *   items sent one payload each after `initialCount` (executeIncrementally).
 * - Any other client (`application/json`, `application/graphql-response+json`, `*∕*`, none; the
 *   partner REST routes) gets the whole result in one answer: the operation runs once without
 *   the directives, so its data is exactly what the incremental payloads add up to.
 * - A mutation is never split (its root fields must run once): it is answered whole.
 *
 * It wraps the engine's execute function, so it is listed right after the query planner and
 * before the plugins that wrap execution (response cache, field authorization), which therefore
 * see the client's document and, for a non-incremental client, one complete result.
 */
export function useIncrementalDelivery(): Plugin {
  // yoga's plugin adds @defer/@stream to the schema and their validation rules. Its onValidate
  // also filters graphql-js's overlapping-fields rule out of a copy of the rule list by name on
  // every request, a copy envelop never reads back: the rules it adds are taken once, here, and
  // added as it adds them (the same rules run), without the per-request filtering.
  const { onSchemaChange, onValidate: addDeferStreamRules } = useDeferStream();
  const deferStreamRules: ValidationRule[] = [];
  addDeferStreamRules?.({ params: { rules: [] }, addValidationRule: (rule: ValidationRule) => deferStreamRules.push(rule) } as never);
  const onValidate: Plugin['onValidate'] = ({ addValidationRule }) => {
    for (const rule of deferStreamRules) addValidationRule(rule);
  };
  const uses = new WeakMap<DocumentNode, boolean>();
  const stripped = new WeakMap<DocumentNode, DocumentNode>();
  // Splits kept per document and (operation, boolean variables: the `if:` values), so each part
  // is the same document object request after request and the planners' per-document caches hit.
  const splits = new WeakMap<DocumentNode, Map<string, DeferredSplit | undefined>>();
  const splitFor = (document: DocumentNode, operationName: string | null | undefined, variables: Readonly<Record<string, unknown>>) => {
    let byKey = splits.get(document);
    if (!byKey) splits.set(document, (byKey = new Map()));
    let key = operationName ?? '';
    for (const [name, value] of Object.entries(variables)) if (typeof value === 'boolean') key += `|${name}=${value}`;
    if (byKey.has(key)) return byKey.get(key);
    const split = splitDeferredOperation(document, operationName, variables);
    if (byKey.size < MAX_SPLITS_PER_DOCUMENT) byKey.set(key, split);
    return split;
  };
  return {
    onSchemaChange: onSchemaChange as Plugin['onSchemaChange'],
    onValidate,
    onExecute({ args, executeFn, setExecuteFn }) {
      let incremental = uses.get(args.document);
      if (incremental === undefined) uses.set(args.document, (incremental = usesIncrementalDelivery(args.document)));
      if (!incremental) return;
      const request = (args.contextValue as { request?: Request }).request;
      const wanted = wantsIncrementalDelivery(request?.headers.get('accept') ?? null);
      setExecuteFn((execArgs) => {
        const split = wanted ? splitFor(execArgs.document, execArgs.operationName, execArgs.variableValues ?? {}) : undefined;
        if (!split || split.mutation) {
          let whole = stripped.get(execArgs.document);
          if (!whole) stripped.set(execArgs.document, (whole = withoutIncrementalDirectives(execArgs.document)));
          return executeFn({ ...execArgs, document: whole });
        }
        return executeIncrementally(execArgs, split, (part) => executeFn(part as typeof execArgs)) as ReturnType<typeof executeFn>;
      });
    },
  };
}

/**
 * Whether an `Accept` header asks for an answer in several payloads: it names `multipart/mixed`
 * or `text/event-stream` with a non-zero quality. A wildcard does not count: curl's default
 * `*∕*` gets one JSON answer, as before `@defer` existed.
 */
export function wantsIncrementalDelivery(accept: string | null): boolean {
  if (!accept) return false;
  return accept.split(',').some((range) => {
    const [type, ...params] = range.trim().toLowerCase().split(';');
    if (!INCREMENTAL_MEDIA_TYPES.includes(type!.trim())) return false;
    const quality = params.map((param) => param.trim()).find((param) => param.startsWith('q='));
    return quality === undefined || Number(quality.slice(2)) > 0;
  });
}
