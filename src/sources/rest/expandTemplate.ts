/**
 * Path and query templates of REST sources: `/products/{args.id}`, `/inventory/{parent.id}`.
 * Parsed once when the source is built, expanded on every call. Pure: no I/O, no GraphQL.
 */

/** Where a placeholder takes its value from: the field's arguments or the parent object. */
export type TemplateScope = 'args' | 'parent';

export type TemplatePart =
  | { kind: 'text'; text: string }
  | { kind: 'value'; scope: TemplateScope; name: string };

export interface Template {
  source: string;
  parts: readonly TemplatePart[];
}

/**
 * Values a template is expanded with. `parent` is the object as the upstream sent it, so a
 * parsed template names JSON properties (parseRestDirectives rewrites `@map`ped field names).
 */
export interface TemplateValues {
  args: Readonly<Record<string, unknown>>;
  parent: Readonly<Record<string, unknown>>;
}

const PLACEHOLDER = /^(args|parent)\.([_A-Za-z][_0-9A-Za-z]*)$/;

/**
 * Splits a template into text and placeholders. Throws a plain Error (the caller prefixes the
 * source and field) for an unclosed brace or a placeholder other than `{args.x}` / `{parent.x}`.
 */
export function parseTemplate(template: string): Template {
  const parts: TemplatePart[] = [];
  let rest = template;
  while (rest.length > 0) {
    const open = rest.indexOf('{');
    const close = rest.indexOf('}');
    if (close !== -1 && (open === -1 || close < open)) {
      throw new Error(`"${template}" has a "}" without a matching "{"`);
    }
    if (open === -1) {
      parts.push({ kind: 'text', text: rest });
      break;
    }
    if (open > 0) parts.push({ kind: 'text', text: rest.slice(0, open) });
    if (close === -1) throw new Error(`"${template}" has an unclosed "{"`);
    const inner = rest.slice(open + 1, close).trim();
    const match = PLACEHOLDER.exec(inner);
    if (!match) {
      throw new Error(`"${template}" has placeholder "{${inner}}"; expected {args.<name>} or {parent.<field>}`);
    }
    parts.push({ kind: 'value', scope: match[1] as TemplateScope, name: match[2] as string });
    rest = rest.slice(close + 1);
  }
  return { source: template, parts };
}

/**
 * Expands a template, URL-encoding every value (`encodeURIComponent`), so a value can never add
 * a path segment or a query parameter. Lists become comma-separated, each item encoded.
 *
 * Returns `null` when the template cannot name a resource: a value is null or undefined, or, in
 * `path` mode, a value is empty, `.` or `..` (which would address the parent collection or climb
 * out of it; WHATWG URLs treat `%2E` as a dot too, so encoding cannot help). Callers treat that
 * like a 404 for a path, and as "omit this parameter" for a query value.
 */
export function expandTemplate(template: Template, values: TemplateValues, mode: 'path' | 'query'): string | null {
  let out = '';
  for (const part of template.parts) {
    if (part.kind === 'text') {
      out += part.text;
      continue;
    }
    const value = values[part.scope][part.name];
    const encoded = encodeValue(value);
    if (encoded === null) return null;
    if (mode === 'path' && (encoded === '' || encoded === '.' || encoded === '..')) return null;
    out += encoded;
  }
  return out;
}

function encodeValue(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (Array.isArray(value)) {
    const items: string[] = [];
    for (const item of value) {
      const encoded = encodeValue(item);
      if (encoded === null) return null;
      items.push(encoded);
    }
    return items.join(',');
  }
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return encodeURIComponent(String(value));
  }
  // Build-time validation only lets leaf (scalar, enum) arguments and fields into templates;
  // a custom scalar holding an object is the one way here, and JSON is its only honest form.
  return encodeURIComponent(JSON.stringify(value));
}

/** The names a template refers to, per scope, for build-time validation. */
export function templateReferences(template: Template): { scope: TemplateScope; name: string }[] {
  return template.parts.flatMap((part) => (part.kind === 'value' ? [{ scope: part.scope, name: part.name }] : []));
}
