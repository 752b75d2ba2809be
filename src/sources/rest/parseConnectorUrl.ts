import type { Template, TemplatePart } from './expandTemplate.js';

/** A variable a URL template may use at its position: `$args` on fields, `$this` below the root, `$batch` on types. */
export type UrlVariable = '$args' | '$this' | '$batch';

export interface ConnectorUrl {
  /** Path relative to the source's base URL, with `{args.x}`/`{parent.x}` placeholders. */
  path: Template;
  query: { name: string; template: Template }[];
  /** `?<param>={$batch.<key>->joinNotNull(',')}`: the one form of batch URL Portico runs. */
  batch?: { param: string; key: string; staticQuery: string };
}

/** A URL template outside the subset; `construct` is quoted in the start-up error. */
export class UrlTemplateError extends Error {
  constructor(
    message: string,
    readonly construct: string,
  ) {
    super(message);
  }
}

const SIMPLE = /^\$(args|this)\.([_A-Za-z]\w*)$/;
const BATCH = /^\$batch\.([_A-Za-z]\w*)->joinNotNull\((['"]),\2\)$/;

/**
 * Parses an `@connect(http: { GET: "…" })` URL template relative to its `@source`: path and query
 * string with `{$args.x}` and `{$this.x}` expressions (Portico's `{args.x}`/`{parent.x}`), or, on
 * a type, one query parameter `{$batch.<key>->joinNotNull(',')}`. Lines are trimmed and joined,
 * as Apollo reads multi-line templates. Any other expression is refused by name.
 */
export function parseConnectorUrl(raw: string, allowed: ReadonlySet<UrlVariable>): ConnectorUrl {
  const text = raw
    .split('\n')
    .map((line) => line.trim())
    .join('');
  if (/^[a-z][a-z0-9+.-]*:/i.test(text)) {
    throw new UrlTemplateError('an absolute URL: name the @source and give a path relative to its baseURL', text);
  }
  if (text !== '' && !text.startsWith('/') && !text.startsWith('?')) {
    throw new UrlTemplateError('the URL must start with "/" or "?" (relative to the @source baseURL)', text);
  }
  const queryAt = text.indexOf('?');
  const pathText = queryAt === -1 ? text : text.slice(0, queryAt);
  const queryText = queryAt === -1 ? '' : text.slice(queryAt + 1);

  const path = templateOf(pathText, allowed);
  const query: ConnectorUrl['query'] = [];
  let batch: ConnectorUrl['batch'];
  const staticParams: string[] = [];
  for (const pair of queryText.split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = equals === -1 ? pair : pair.slice(0, equals);
    const value = equals === -1 ? '' : pair.slice(equals + 1);
    if (name.includes('{')) throw new UrlTemplateError('a query parameter name must be literal text', name);
    const batchMatch = /^\{\s*([^}]*?)\s*\}$/.exec(value);
    const batchExpression = batchMatch ? BATCH.exec(batchMatch[1] ?? '') : null;
    if (batchExpression) {
      if (!allowed.has('$batch')) throw new UrlTemplateError('$batch is only available in a @connect on a type', value);
      if (batch) throw new UrlTemplateError('only one $batch parameter is supported', value);
      batch = { param: decoded(name), key: batchExpression[1] as string, staticQuery: '' };
      continue;
    }
    const template = templateOf(value, allowed);
    if (template.parts.every((part) => part.kind === 'text')) staticParams.push(pair);
    else query.push({ name: decoded(name), template });
  }
  if (batch) {
    if (path.parts.some((part) => part.kind === 'value') || query.length > 0) {
      throw new UrlTemplateError('a $batch URL takes no other expressions', text);
    }
    batch.staticQuery = staticParams.join('&');
  } else if (staticParams.length > 0) {
    // Literal parameters stay literal: a template of text only.
    for (const pair of staticParams) {
      const equals = pair.indexOf('=');
      const name = equals === -1 ? pair : pair.slice(0, equals);
      const value = equals === -1 ? '' : pair.slice(equals + 1);
      query.push({ name: decoded(name), template: { source: value, parts: [{ kind: 'text', text: value }] } });
    }
  }
  return { path, query, ...(batch ? { batch } : {}) };
}

function templateOf(text: string, allowed: ReadonlySet<UrlVariable>): Template {
  const parts: TemplatePart[] = [];
  let rest = text;
  while (rest.length > 0) {
    const open = rest.indexOf('{');
    const close = rest.indexOf('}');
    if (close !== -1 && (open === -1 || close < open)) throw new UrlTemplateError('a "}" without a matching "{"', text);
    if (open === -1) {
      parts.push({ kind: 'text', text: rest });
      break;
    }
    if (open > 0) parts.push({ kind: 'text', text: rest.slice(0, open) });
    if (close === -1) throw new UrlTemplateError('an unclosed "{"', text);
    const expression = rest.slice(open + 1, close).trim();
    const match = SIMPLE.exec(expression);
    if (!match) {
      const what = BATCH.test(expression)
        ? '$batch is only supported as the whole value of one query parameter'
        : expression.includes('->')
          ? 'methods (->) are not supported in URL templates'
          : /^\$(args|this)\.[\w.]+$/.test(expression)
            ? 'nested paths are not supported in URL templates (one level: {$args.x}, {$this.x})'
            : 'only {$args.<name>} and {$this.<field>} are supported in URL templates';
      throw new UrlTemplateError(what, `{${expression}}`);
    }
    const variable = `$${match[1]}` as UrlVariable;
    if (!allowed.has(variable)) throw new UrlTemplateError(`${variable} is not available here`, `{${expression}}`);
    parts.push({ kind: 'value', scope: variable === '$args' ? 'args' : 'parent', name: match[2] as string });
    rest = rest.slice(close + 1);
  }
  return { source: text, parts };
}

function decoded(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    throw new UrlTemplateError('a malformed percent-encoding', name);
  }
}
