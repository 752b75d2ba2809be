/**
 * The path of the first place two JSON values differ (`data.user.orders.2.status`), `$` when
 * they differ at the root (types, or one is not JSON), or undefined when they are equal. Object
 * keys are compared as sets, in sorted order, so key order is not a difference. Only the path is
 * returned, never either value: mirrored answers hold user data, and the path is what an operator
 * needs to find the field that changed.
 */
export function firstDifference(a: unknown, b: unknown, path: readonly (string | number)[] = []): string | undefined {
  if (Object.is(a, b)) return undefined;
  const at = (suffix?: string | number) => (suffix === undefined ? path : [...path, suffix]).join('.') || '$';
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return at();
  if (Array.isArray(a) !== Array.isArray(b)) return at();
  if (Array.isArray(a) && Array.isArray(b)) {
    const shared = Math.min(a.length, b.length);
    for (let i = 0; i < shared; i++) {
      const found = firstDifference(a[i], b[i], [...path, i]);
      if (found !== undefined) return found;
    }
    return a.length === b.length ? undefined : at(shared);
  }
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(left), ...Object.keys(right)])].sort();
  for (const key of keys) {
    if (!(key in left) || !(key in right)) return at(key);
    const found = firstDifference(left[key], right[key], [...path, key]);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** Compares two response bodies as JSON; bodies that are not JSON are compared as text. */
export function firstBodyDifference(primary: string, shadow: string): string | undefined {
  if (primary === shadow) return undefined;
  const parse = (body: string): { ok: true; value: unknown } | { ok: false } => {
    try {
      return { ok: true, value: JSON.parse(body) as unknown };
    } catch {
      return { ok: false };
    }
  };
  const left = parse(primary);
  const right = parse(shadow);
  if (!left.ok || !right.ok) return '$';
  return firstDifference(left.value, right.value);
}
