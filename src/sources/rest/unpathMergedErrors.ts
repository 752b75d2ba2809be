import type { GraphQLError } from 'graphql';
import { createGraphQLError } from '@graphql-tools/utils';

/**
 * `valuesFromResults` for batched type merging that keeps field errors at their exact path.
 *
 * @graphql-tools/batch-delegate 10.x drops the list index when it relocates an error of a batched
 * merge (`_productsByIds.1.stock` reaches the client as `favourites.stock`, not `favourites.1.stock`;
 * graphql-hive/gateway#1556, ardatan/graphql-tools#2950). The error is already embedded in the
 * merged data where its null belongs, so removing its path lets graphql-js locate it again when
 * the gateway resolves that very field, at the path the client asked for. An error under a
 * non-null field lands on its nearest nullable ancestor, where its null lands too.
 *
 * Mutates and returns `results`, which delegation created for this call alone.
 */
export function unpathMergedErrors<T>(results: T): T {
  if (Array.isArray(results)) {
    for (let i = 0; i < results.length; i++) results[i] = unpath(results[i]);
    return results;
  }
  return unpath(results) as T;
}

function unpath(value: unknown): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    if (!isPathed(value)) return value;
    return createGraphQLError(value.message, {
      nodes: value.nodes,
      source: value.source,
      positions: value.positions,
      originalError: value.originalError ?? value,
      extensions: value.extensions,
    });
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = unpath(value[i]);
    return value;
  }
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) record[key] = unpath(record[key]);
  return value;
}

// Duck-typed, not `instanceof GraphQLError`, so an error built by another copy of graphql (ESM
// next to CJS) is still recognised.
function isPathed(error: Error): error is GraphQLError {
  return Array.isArray((error as Partial<GraphQLError>).path);
}
