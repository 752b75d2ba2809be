import type { ObjectSelection, PathSelection, Selection, SelectionPath } from './parseSelection.js';

/** What a selection's variables stand for in one call. */
export interface SelectionVariables {
  $args?: Readonly<Record<string, unknown>>;
  $this?: Readonly<Record<string, unknown>>;
}

/**
 * Applies a parsed selection to a JSON value, as Apollo Connectors do: an object selection
 * builds an object per item (lists are mapped element by element), a path reads properties (a
 * list along the way maps too), and a missing property is simply absent, so the field resolves
 * to null. Pure and total: no input throws.
 */
export function applySelection(selection: Selection, data: unknown, variables: SelectionVariables = {}): unknown {
  return selection.kind === 'object' ? applyObject(selection, data, variables) : applyPath(selection, data, variables);
}

function applyObject(selection: ObjectSelection, data: unknown, variables: SelectionVariables): unknown {
  if (Array.isArray(data)) return data.map((item) => applyObject(selection, item, variables));
  if (data === null || data === undefined) return null;
  const out: Record<string, unknown> = {};
  for (const field of selection.fields) {
    const value = field.value.kind === 'object' ? applyObject(field.value, data, variables) : applyPath(field.value, data, variables);
    if (value !== undefined) out[field.name] = value;
  }
  return out;
}

function applyPath(selection: PathSelection, data: unknown, variables: SelectionVariables): unknown {
  const value = read(selection.path, data, variables);
  if (!selection.sub || value === undefined) return value;
  return applyObject(selection.sub, value, variables);
}

function read(path: SelectionPath, data: unknown, variables: SelectionVariables): unknown {
  let value: unknown = path.root === 'data' ? data : path.root === '$batch' ? undefined : variables[path.root];
  for (const key of path.keys) value = property(value, key);
  return value;
}

function property(value: unknown, key: string): unknown {
  if (Array.isArray(value)) return value.map((item) => property(item, key));
  if (value === null || typeof value !== 'object') return undefined;
  // Own properties only: a path like `constructor` must not reach the prototype.
  return Object.prototype.hasOwnProperty.call(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}
