import { Kind, type DocumentNode, type SelectionSetNode } from 'graphql';
import type { SupergraphModel } from '../sources/federation/planner/supergraphModel.js';

/**
 * A fetch document in the BFF's names turned back into its source's names: a renamed field
 * (`title`, the BFF's name for `Product.name`) is sent as `title: name`, so the answer comes back
 * under the key the plan expects. Documents are the plan's own, built once, so each is rewritten
 * once. `reverse` maps `Type.bffName` to the source's field name.
 */
export function createUnrename(model: SupergraphModel, reverse: ReadonlyMap<string, string>): (document: DocumentNode) => DocumentNode {
  const done = new WeakMap<DocumentNode, DocumentNode>();
  const rewrite = (selectionSet: SelectionSetNode, parent: string | undefined): SelectionSetNode => ({
    ...selectionSet,
    selections: selectionSet.selections.map((selection) => {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        return { ...selection, selectionSet: rewrite(selection.selectionSet, selection.typeCondition?.name.value ?? parent) };
      }
      if (selection.kind !== Kind.FIELD) return selection;
      const name = selection.name.value;
      const child = parent === undefined ? undefined : model.types.get(parent)?.fields.get(name)?.type;
      const original = parent === undefined ? undefined : reverse.get(`${parent}.${name}`);
      return {
        ...selection,
        ...(original ? { alias: selection.alias ?? { kind: Kind.NAME, value: name }, name: { kind: Kind.NAME, value: original } } : {}),
        ...(selection.selectionSet ? { selectionSet: rewrite(selection.selectionSet, child) } : {}),
      };
    }),
  });
  return (document) => {
    if (reverse.size === 0) return document;
    let out = done.get(document);
    if (!out) {
      out = {
        ...document,
        definitions: document.definitions.map((definition) =>
          definition.kind === Kind.OPERATION_DEFINITION
            ? {
                ...definition,
                selectionSet: rewrite(definition.selectionSet, model.roots[definition.operation]),
              }
            : definition,
        ),
      };
      done.set(document, out);
    }
    return out;
  };
}
