/**
 * The subset of Apollo Connectors' selection mapping language (JSONSelection) Portico runs:
 * fields, aliases, nested paths, sub-selections, groups and the `$`, `$args`, `$this` variables.
 * Pure: text in, tree out. Anything else (methods `->`, literals `$(…)`, `??`, `?.`, spreads `...`,
 * `@`) is refused with the construct named, so a selection never half-works.
 *
 *   id                       the property `id`, as field `id`
 *   title: name              the property `name`, as field `title`
 *   cents: price.amount      a nested path
 *   items: data { id name }  a path, then a selection applied to it (element-wise on lists)
 *   product: { id: productId }   a group: a new object built from the current one
 *   id: $args.id             a variable path ($ is the current value, $args, $this)
 *   $.results { id }         (whole selection only) the value at a path rather than an object
 */

/** Where a path starts: the current value (`data`/`$`) or a variable. */
export type PathRoot = 'data' | '$args' | '$this' | '$batch';

export interface SelectionPath {
  root: PathRoot;
  keys: readonly string[];
}

export interface ObjectSelection {
  kind: 'object';
  fields: readonly NamedSelection[];
}

export interface PathSelection {
  kind: 'path';
  path: SelectionPath;
  sub?: ObjectSelection;
}

export type Selection = ObjectSelection | PathSelection;

export interface NamedSelection {
  /** The output key: a GraphQL field name. */
  name: string;
  value: PathSelection | ObjectSelection;
}

/** A refused or malformed selection; `construct` names what was found, for the start-up error. */
export class SelectionError extends Error {
  constructor(
    message: string,
    readonly construct: string,
  ) {
    super(message);
  }
}

type Token =
  | { kind: 'name'; text: string }
  | { kind: 'var'; text: string }
  | { kind: 'string'; text: string }
  | { kind: 'punct'; text: '{' | '}' | ':' | '.' };

const UNSUPPORTED: readonly [RegExp, string, string][] = [
  [/^->/, '->', 'methods (->)'],
  [/^\$\(/, '$(', 'literal values ($(…))'],
  [/^\?\?/, '??', 'the ?? operator'],
  [/^\?!/, '?!', 'the ?! operator'],
  [/^\?\./, '?.', 'optional chaining (?.)'],
  [/^\.\.\./, '...', 'spreads (...)'],
  [/^@/, '@', 'the @ variable'],
];

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const rest = text.slice(i);
    const space = /^(?:\s+|#[^\n]*)/.exec(rest);
    if (space) {
      i += space[0].length;
      continue;
    }
    for (const [pattern, found, what] of UNSUPPORTED) {
      if (pattern.test(rest)) throw new SelectionError(`${what} are not supported`, found);
    }
    const variable = /^\$[A-Za-z_]\w*|^\$/.exec(rest);
    if (variable) {
      tokens.push({ kind: 'var', text: variable[0] });
      i += variable[0].length;
      continue;
    }
    const name = /^[A-Za-z_]\w*/.exec(rest);
    if (name) {
      tokens.push({ kind: 'name', text: name[0] });
      i += name[0].length;
      continue;
    }
    const quoted = /^"((?:[^"\\]|\\.)*)"|^'((?:[^'\\]|\\.)*)'/.exec(rest);
    if (quoted) {
      tokens.push({ kind: 'string', text: (quoted[1] ?? quoted[2] ?? '').replace(/\\(.)/g, '$1') });
      i += quoted[0].length;
      continue;
    }
    const char = rest.charAt(0);
    if (char === '{' || char === '}' || char === ':' || char === '.') {
      tokens.push({ kind: 'punct', text: char });
      i += 1;
      continue;
    }
    throw new SelectionError(`unexpected "${char}"`, char);
  }
  return tokens;
}

const VARIABLES: Readonly<Record<string, PathRoot>> = { $: 'data', $args: '$args', $this: '$this', $batch: '$batch' };

/** Parses a selection. Throws `SelectionError` naming the first construct outside the subset. */
export function parseSelection(text: string): Selection {
  const tokens = tokenize(text);
  let at = 0;
  const peek = (offset = 0): Token | undefined => tokens[at + offset];
  const isPunct = (token: Token | undefined, text: string) => token?.kind === 'punct' && token.text === text;
  const expectPunct = (text: string) => {
    const token = tokens[at];
    if (!isPunct(token, text)) {
      throw new SelectionError(`expected "${text}" but found ${token ? `"${token.text}"` : 'the end'}`, token?.text ?? text);
    }
    at++;
  };

  function variableRoot(token: Token & { kind: 'var' }): PathRoot {
    const root = VARIABLES[token.text];
    if (!root) throw new SelectionError(`the variable ${token.text} is not supported (only $, $args, $this, $batch)`, token.text);
    return root;
  }

  /** `first(.key)*`, where `first` has already been read. */
  function pathFrom(root: PathRoot, firstKey: string | undefined): SelectionPath {
    const keys = firstKey === undefined ? [] : [firstKey];
    while (isPunct(peek(), '.')) {
      at++;
      const key = tokens[at];
      if (!key || (key.kind !== 'name' && key.kind !== 'string')) {
        throw new SelectionError('a "." must be followed by a property name', key?.text ?? '.');
      }
      keys.push(key.text);
      at++;
    }
    return { root, keys };
  }

  function subSelection(): ObjectSelection {
    expectPunct('{');
    const fields = namedSelections();
    expectPunct('}');
    return { kind: 'object', fields };
  }

  function pathValue(): PathSelection {
    const token = tokens[at]!;
    at++;
    const path = token.kind === 'var' ? pathFrom(variableRoot(token), undefined) : pathFrom('data', token.text);
    return isPunct(peek(), '{') ? { kind: 'path', path, sub: subSelection() } : { kind: 'path', path };
  }

  function namedSelections(): NamedSelection[] {
    const fields: NamedSelection[] = [];
    const seen = new Set<string>();
    for (let token = peek(); token && !isPunct(token, '}'); token = peek()) {
      let selection: NamedSelection;
      if (token.kind === 'name' && isPunct(peek(1), ':')) {
        at += 2;
        const value = peek();
        if (isPunct(value, '{')) selection = { name: token.text, value: subSelection() };
        else if (value && (value.kind === 'name' || value.kind === 'var' || value.kind === 'string')) {
          selection = { name: token.text, value: pathValue() };
        } else throw new SelectionError(`"${token.text}:" must be followed by a path or { … }`, value?.text ?? ':');
      } else if (token.kind === 'name') {
        if (isPunct(peek(1), '.')) {
          throw new SelectionError(`the path "${token.text}.…" needs an alias ("name: ${token.text}.…")`, `${token.text}.`);
        }
        at++;
        selection = isPunct(peek(), '{')
          ? { name: token.text, value: { kind: 'path', path: { root: 'data', keys: [token.text] }, sub: subSelection() } }
          : { name: token.text, value: { kind: 'path', path: { root: 'data', keys: [token.text] } } };
      } else if (token.kind === 'var') {
        throw new SelectionError(`a variable path (${token.text}…) inside a selection needs an alias`, token.text);
      } else if (token.kind === 'string') {
        throw new SelectionError(`a quoted property ("${token.text}") needs an alias`, `"${token.text}"`);
      } else {
        throw new SelectionError(`unexpected "${token.text}"`, token.text);
      }
      if (seen.has(selection.name)) throw new SelectionError(`"${selection.name}" is selected twice`, selection.name);
      seen.add(selection.name);
      fields.push(selection);
    }
    return fields;
  }

  let selection: Selection;
  const first = peek();
  if (first?.kind === 'var' && !isPunct(peek(1), ':')) selection = pathValue();
  else selection = { kind: 'object', fields: namedSelections() };
  if (at < tokens.length) throw new SelectionError(`unexpected "${tokens[at]!.text}"`, tokens[at]!.text);
  return selection;
}

/** Every variable path in a selection, for checking which variables a position allows. */
export function selectionPaths(selection: Selection): SelectionPath[] {
  if (selection.kind === 'path') return [selection.path, ...(selection.sub ? selectionPaths(selection.sub) : [])];
  return selection.fields.flatMap((field) => selectionPaths(field.value));
}
