/**
 * Reads a `multipart/mixed` GraphQL response part by part as Apollo Client does
 * (@apollo/client/link/http/parseAndCheckHttpResponse.ts, `readMultipartBody`): the boundary
 * comes from the content type (`boundary="-"` when absent), parts are delimited by
 * `\r\n--<boundary>`, each part's headers end at the first blank line, and a part whose body is
 * JSON is one payload; the closing delimiter (`--<boundary>--`) ends the stream.
 *
 * An async generator over the live body, so a test sees each payload the moment it arrives and
 * can act (release a held subgraph) before reading the next.
 */
export async function* readMultipart(response: Response): AsyncGenerator<Record<string, unknown>> {
  const contentType = response.headers.get('content-type') ?? '';
  if (!contentType.toLowerCase().startsWith('multipart/mixed')) throw new Error(`not a multipart response: ${contentType}`);
  const boundaryParam = /boundary=(?:"([^"]*)"|([^;\s]+))/i.exec(contentType);
  const boundary = `\r\n--${boundaryParam?.[1] ?? boundaryParam?.[2] ?? '-'}`;
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  // Apollo prefixes the buffer with CRLF so a body that opens with `--boundary` matches too.
  let buffer = '\r\n';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    buffer += value;
    let at = buffer.indexOf(boundary);
    while (at > -1) {
      const part = buffer.slice(0, at);
      buffer = buffer.slice(at + boundary.length);
      if (buffer.startsWith('--')) {
        // The closing delimiter: nothing follows.
        if (part.trim()) yield parsePart(part);
        await reader.cancel();
        return;
      }
      if (part.trim()) yield parsePart(part);
      at = buffer.indexOf(boundary);
    }
  }
}

function parsePart(part: string): Record<string, unknown> {
  const split = part.indexOf('\r\n\r\n');
  const headers = Object.fromEntries(
    part
      .slice(0, split)
      .split('\r\n')
      .filter((line) => line.includes(':'))
      .map((line) => [line.slice(0, line.indexOf(':')).trim().toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  if (!String(headers['content-type'] ?? '').toLowerCase().includes('application/json')) {
    throw new Error(`a part that is not JSON: ${JSON.stringify(headers)}`);
  }
  return JSON.parse(part.slice(split + 4)) as Record<string, unknown>;
}

/**
 * The payloads merged as a client's cache merges them: `data` of each deferred entry into the
 * object at its path, `items` of each streamed entry appended at its path, errors concatenated.
 */
export function mergePayloads(payloads: readonly Record<string, unknown>[]): { data: unknown; errors: unknown[] } {
  const [first, ...rest] = payloads;
  const data = structuredClone(first?.['data']) as Record<string, unknown>;
  const errors = [...((first?.['errors'] as unknown[] | undefined) ?? [])];
  for (const payload of rest) {
    for (const entry of (payload['incremental'] as { data?: Record<string, unknown>; items?: unknown[]; path: (string | number)[]; errors?: unknown[] }[]) ?? []) {
      errors.push(...(entry.errors ?? []));
      if (entry.items) {
        const list = entry.path.slice(0, -1).reduce<any>((node, key) => node?.[key], data) as unknown[];
        list.push(...entry.items);
      } else if (entry.data) {
        const target = entry.path.reduce<any>((node, key) => node?.[key], data) as Record<string, unknown>;
        deepMerge(target, entry.data);
      }
    }
  }
  return { data, errors };
}

function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const existing = target[key];
    if (Array.isArray(existing) && Array.isArray(value)) {
      value.forEach((item, index) => {
        if (typeof existing[index] === 'object' && existing[index] !== null && typeof item === 'object' && item !== null) {
          deepMerge(existing[index] as Record<string, unknown>, item as Record<string, unknown>);
        } else {
          existing[index] = item;
        }
      });
    } else if (typeof existing === 'object' && existing !== null && typeof value === 'object' && value !== null) {
      deepMerge(existing as Record<string, unknown>, value as Record<string, unknown>);
    } else {
      target[key] = value;
    }
  }
}
