import { isDeepStrictEqual } from 'node:util';

export interface BodyVerifier {
  /** True when the body is a GraphQL response with exactly the expected data and no errors. */
  (body: string): boolean;
  /** The first body that failed, cut to 300 characters, for the report. */
  firstMismatch(): string | undefined;
}

// A gateway answers one query with a handful of distinct byte strings at most (key order and
// whitespace are stable per gateway), so remembering the bodies already proven right makes
// checking every response a string comparison instead of a JSON parse.
const MAX_REMEMBERED = 8;

/**
 * Checks every response body against the expected `data`. A body is right when it parses, has no
 * `errors`, and its `data` deep-equals the expected data (key order is not compared: GraphQL
 * orders keys by the selection, and both are built from the same selection).
 */
export function createBodyVerifier(expectedData: unknown): BodyVerifier {
  const proven = new Set<string>();
  let mismatch: string | undefined;
  const verify = ((body: string) => {
    if (proven.has(body)) return true;
    let ok = false;
    try {
      const parsed = JSON.parse(body) as { data?: unknown; errors?: unknown };
      ok = parsed.errors === undefined && isDeepStrictEqual(parsed.data, expectedData);
    } catch {
      ok = false;
    }
    if (ok) {
      if (proven.size < MAX_REMEMBERED) proven.add(body);
    } else {
      mismatch ??= body.slice(0, 300);
    }
    return ok;
  }) as BodyVerifier;
  verify.firstMismatch = () => mismatch;
  return verify;
}
