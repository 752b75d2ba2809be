import {
  Kind,
  OperationTypeNode,
  getOperationAST,
  visit,
  BREAK,
  type ArgumentNode,
  type DirectiveNode,
  type DocumentNode,
  type FieldNode,
  type FragmentDefinitionNode,
  type InlineFragmentNode,
  type OperationDefinitionNode,
  type SelectionNode,
  type SelectionSetNode,
} from 'graphql';

/**
 * The response key under which every object of the split documents carries its `__typename`:
 * the shaping execution resolves abstract types from it, whatever the client selected.
 */
export const SHAPE_TYPENAME = '__pdType';

/** Labels the shaping execution gives each active `@defer`, so a payload names its deferred part. */
export const DEFER_LABEL_PREFIX = '__pdDefer';

/** One active `@defer` fragment: the document that fetches it on its own, and the client's label. */
export interface DeferredPart {
  /** The path from the root down to the fragment (fields keep their arguments) plus its content. */
  document: DocumentNode;
  /** The client's own label, given back in its payloads; undefined when it had none. */
  label: string | undefined;
}

/** An operation with `@defer`/`@stream` taken apart for execution by parts. */
export interface DeferredSplit {
  /** The operation with every `@defer`/`@stream` removed: the whole answer in one execution. */
  complete: DocumentNode;
  /** Only what is not deferred (`@stream` lists are fetched whole): the first payload's data. */
  initial: DocumentNode;
  /** One entry per active `@defer`, indexed as its label `${DEFER_LABEL_PREFIX}${index}`. */
  deferred: DeferredPart[];
  /** The client's operation, fragments inlined, each active `@defer` labelled by index: what is shaped. */
  shape: DocumentNode;
  /** The deferred parts a field of `shape` belongs to (innermost first); absent: not deferred. */
  defersOf: ReadonlyMap<FieldNode, readonly number[]>;
  /** Whether the operation is a mutation (its root fields must run once: never split). */
  mutation: boolean;
}

const typenameField: FieldNode = {
  kind: Kind.FIELD,
  alias: { kind: Kind.NAME, value: SHAPE_TYPENAME },
  name: { kind: Kind.NAME, value: '__typename' },
};
const plainTypename: FieldNode = { kind: Kind.FIELD, name: { kind: Kind.NAME, value: '__typename' } };

/** Whether a document uses `@defer` or `@stream` anywhere (cheap; the split itself is per variables). */
export function usesIncrementalDelivery(document: DocumentNode): boolean {
  let found = false;
  visit(document, {
    Directive(node) {
      if (node.name.value === 'defer' || node.name.value === 'stream') {
        found = true;
        return BREAK;
      }
      return undefined;
    },
  });
  return found;
}

/**
 * Takes an operation with `@defer`/`@stream` apart so each part is an ordinary operation any
 * engine runs (the planners, stitching): the initial part without the deferred fragments, and one
 * operation per active `@defer` that walks from the root to the fragment and selects its content.
 * Each deferred part is then planned and fetched on its own, concurrently with the initial part,
 * so the first payload never waits for a deferred fetch (at the price of fetching the path down
 * to the fragment again, one root fetch per deferred part).
 *
 * Fragment spreads are inlined first (a named fragment may be spread deferred in one place and
 * not in another), and `if:` arguments are read with the request's variables, exactly as the
 * executor that shapes the answer reads them. Returns undefined when the operation has neither
 * directive (or no such operation).
 */
export function splitDeferredOperation(
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Readonly<Record<string, unknown>>,
): DeferredSplit | undefined {
  const operation = getOperationAST(document, operationName);
  if (!operation) return undefined;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const definition of document.definitions) if (definition.kind === Kind.FRAGMENT_DEFINITION) fragments.set(definition.name.value, definition);

  const deferred: { fragment: InlineFragmentNode; label: string | undefined }[] = [];
  const defersOf = new Map<FieldNode, number[]>();
  const isActive = (directive: DirectiveNode) => {
    const condition = directive.arguments?.find((argument) => argument.name.value === 'if')?.value;
    if (!condition) return true;
    if (condition.kind === Kind.BOOLEAN) return condition.value;
    if (condition.kind === Kind.VARIABLE) return variables[condition.name.value] !== false;
    return true;
  };

  // The client's operation with fragments inlined and each active @defer labelled by its index.
  const inline = (selectionSet: SelectionSetNode, within: readonly number[], seen: ReadonlySet<string>): SelectionSetNode => {
    const out: SelectionNode[] = [];
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const field: FieldNode = selection.selectionSet ? { ...selection, selectionSet: inline(selection.selectionSet, within, seen) } : { ...selection };
        if (within.length > 0) defersOf.set(field, [...within].reverse());
        out.push(field);
        continue;
      }
      let fragment: InlineFragmentNode;
      let inner = seen;
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const definition = fragments.get(selection.name.value);
        // A cycle or an unknown fragment: validation refuses both; nothing to split here.
        if (!definition || seen.has(selection.name.value)) continue;
        inner = new Set([...seen, selection.name.value]);
        fragment = { kind: Kind.INLINE_FRAGMENT, typeCondition: definition.typeCondition, directives: selection.directives ?? [], selectionSet: definition.selectionSet };
      } else {
        fragment = selection;
      }
      const defer = fragment.directives?.find((directive) => directive.name.value === 'defer');
      if (defer && isActive(defer)) {
        const index = deferred.length;
        const clientLabel = defer.arguments?.find((argument) => argument.name.value === 'label')?.value;
        const labelled: DirectiveNode = {
          ...defer,
          arguments: [...(defer.arguments ?? []).filter((argument) => argument.name.value !== 'label'), labelArgument(`${DEFER_LABEL_PREFIX}${index}`)],
        };
        const entry = { fragment, label: clientLabel?.kind === Kind.STRING ? clientLabel.value : undefined };
        deferred.push(entry);
        entry.fragment = {
          ...fragment,
          directives: fragment.directives!.map((directive) => (directive === defer ? labelled : directive)),
          selectionSet: inline(fragment.selectionSet, [...within, index], inner),
        };
        out.push(entry.fragment);
      } else {
        out.push({ ...fragment, selectionSet: inline(fragment.selectionSet, within, inner) });
      }
    }
    return { kind: Kind.SELECTION_SET, selections: out };
  };
  const shapeOperation: OperationDefinitionNode = { ...operation, selectionSet: inline(operation.selectionSet, [], new Set()) };
  const deferredFragments = new Map(deferred.map((entry, index) => [entry.fragment, index]));

  /** Without any @defer/@stream: active deferred fragments cut, inactive ones kept inline. */
  const strip = (selectionSet: SelectionSetNode, isRoot: boolean): SelectionSetNode => {
    const out: SelectionNode[] = [];
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) continue;
      if (selection.kind === Kind.INLINE_FRAGMENT && deferredFragments.has(selection)) continue;
      const directives = withoutIncremental(selection.directives);
      if (selection.kind === Kind.FIELD) {
        out.push({ ...selection, directives, ...(selection.selectionSet ? { selectionSet: strip(selection.selectionSet, false) } : {}) });
      } else {
        out.push({ ...selection, directives, selectionSet: strip(selection.selectionSet, false) });
      }
    }
    return withTypename(out, isRoot);
  };

  /** Only the way down to deferred fragment `index`, and its content (nested defers cut). */
  const project = (selectionSet: SelectionSetNode, index: number, isRoot: boolean): SelectionSetNode | undefined => {
    const out: SelectionNode[] = [];
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FRAGMENT_SPREAD) continue;
      if (selection.kind === Kind.INLINE_FRAGMENT && deferredFragments.get(selection) === index) {
        out.push({ ...selection, directives: withoutIncremental(selection.directives), selectionSet: strip(selection.selectionSet, isRoot) });
        continue;
      }
      if (!selection.selectionSet) continue;
      const inner = project(selection.selectionSet, index, false);
      if (inner) out.push({ ...selection, directives: withoutIncremental(selection.directives), selectionSet: inner });
    }
    return out.length === 0 ? undefined : withTypename(out, isRoot);
  };

  const asDocument = (selectionSet: SelectionSetNode): DocumentNode => ({
    kind: Kind.DOCUMENT,
    definitions: [{ ...operation, selectionSet }],
  });
  return {
    complete: withoutIncrementalDirectives(document),
    initial: asDocument(strip(shapeOperation.selectionSet, true)),
    deferred: deferred.map((entry, index) => ({
      document: asDocument(project(shapeOperation.selectionSet, index, true) ?? { kind: Kind.SELECTION_SET, selections: [plainTypename] }),
      label: entry.label,
    })),
    shape: { kind: Kind.DOCUMENT, definitions: [shapeOperation] },
    defersOf,
    mutation: operation.operation === OperationTypeNode.MUTATION,
  };
}

/** The client's document as it is, minus every `@defer`/`@stream`: the same data in one answer. */
export function withoutIncrementalDirectives(document: DocumentNode): DocumentNode {
  return visit(document, {
    Directive(node) {
      return node.name.value === 'defer' || node.name.value === 'stream' ? null : undefined;
    },
  });
}

function withoutIncremental(directives: readonly DirectiveNode[] | undefined): DirectiveNode[] {
  return (directives ?? []).filter((directive) => directive.name.value !== 'defer' && directive.name.value !== 'stream');
}

/** Every object selection carries its typename for the shaping; an empty root gets a plain one. */
function withTypename(selections: SelectionNode[], isRoot: boolean): SelectionSetNode {
  if (isRoot) return { kind: Kind.SELECTION_SET, selections: selections.length > 0 ? selections : [plainTypename] };
  return { kind: Kind.SELECTION_SET, selections: [...selections, typenameField] };
}

function labelArgument(value: string): ArgumentNode {
  return { kind: Kind.ARGUMENT, name: { kind: Kind.NAME, value: 'label' }, value: { kind: Kind.STRING, value } };
}
