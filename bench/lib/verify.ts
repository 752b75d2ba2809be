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
// Per expected answer: a run with a user per connection has as many distinct right bodies as users.

/**
 * Checks every response body against the expected `data`. A body is right when it parses, has no
 * `errors`, and its `data` deep-equals the expected data (key order is not compared: GraphQL
 * orders keys by the selection, and both are built from the same selection). With several
 * expected answers (one per connection, each its own user), a body is right when it equals one
 * of them: autocannon's body check does not say which connection a body came from.
 */
export function createBodyVerifier(expectedData: unknown, ...otherAnswers: readonly unknown[]): BodyVerifier {
  const answers = [expectedData, ...otherAnswers];
  const proven = new Set<string>();
  let mismatch: string | undefined;
  const verify = ((body: string) => {
    if (proven.has(body)) return true;
    let ok = false;
    try {
      const parsed = JSON.parse(body) as { data?: unknown; errors?: unknown };
      ok = parsed.errors === undefined && answers.some((answer) => isDeepStrictEqual(parsed.data, answer));
    } catch {
      ok = false;
    }
    if (ok) {
      if (proven.size < MAX_REMEMBERED * answers.length) proven.add(body);
    } else {
      mismatch ??= body.slice(0, 300);
    }
    return ok;
  }) as BodyVerifier;
  verify.firstMismatch = () => mismatch;
  return verify;
}
