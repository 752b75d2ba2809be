/** The GraphQL-over-HTTP request parameters; each may appear once per request. */
export const GRAPHQL_PARAMETERS: ReadonlySet<string> = new Set(['query', 'operationName', 'variables', 'extensions']);

export type JsonScan = { ok: true; keys: string[] } | { ok: false; tooDeep: true } | { ok: false; duplicate: string };

/**
 * One linear pass over JSON text, before JSON.parse: how deep it nests (arrays and objects) and
 * which GraphQL parameters its request objects name (the root object, or each object of a root
 * array for a batch). Stops at the first container past `maxDepth`, or at the second occurrence
 * of a parameter in one request object (JSON.parse would silently keep the last one; a proxy or
 * WAF in front may have read the first). Malformed JSON is not judged here: JSON.parse reports it.
 */
export function scanJson(text: string, maxDepth: number): JsonScan {
  let depth = 0;
  let rootIsArray = false;
  // Keys of the request object being read, and whether the next string in it is a key.
  let keys: Set<string> | undefined;
  const allKeys: string[] = [];
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      let escaped = false;
      for (i++; i < text.length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) {
          escaped = true;
          i++;
        } else if (d === 0x22) break;
      }
      if (expectKey && keys !== undefined && depth === (rootIsArray ? 2 : 1)) {
        const raw = text.slice(start, i + 1);
        const key = escaped ? decode(raw) : raw.slice(1, -1);
        if (key !== undefined && GRAPHQL_PARAMETERS.has(key)) {
          if (keys.has(key)) return { ok: false, duplicate: key };
          keys.add(key);
          allKeys.push(key);
        }
      }
      expectKey = false;
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (depth === 0) rootIsArray = c === 0x5b;
      depth++;
      if (depth > maxDepth) return { ok: false, tooDeep: true };
      if (depth === (rootIsArray ? 2 : 1)) keys = c === 0x7b ? new Set() : undefined;
      expectKey = c === 0x7b;
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      depth--;
      expectKey = false;
    } else if (c === 0x2c /* , */) {
      // Only commas of a request object itself (the one container at its depth) precede a key.
      expectKey = keys !== undefined && depth === (rootIsArray ? 2 : 1);
    }
  }
  return { ok: true, keys: allKeys };
}

function decode(quoted: string): string | undefined {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return undefined;
  }
}
