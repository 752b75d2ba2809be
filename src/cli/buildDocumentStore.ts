import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  Kind,
  parse,
  print,
  visit,
  type DefinitionNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
} from 'graphql';
import { hashDocument, type ManifestOperation, type PersistedQueryManifest } from '../plugins/trusted-documents/documentStore.js';

/** A problem with the input documents; the message names the file. */
export class DocumentBuildError extends Error {
  override readonly name = 'DocumentBuildError';
}

/**
 * Builds a trusted-documents store from a folder of `.graphql` / `.gql` files, as frontend build
 * tools emit them (one operation per file with its fragments, or fragments in files of their
 * own). Each named operation becomes one stored document: the operation and every fragment it
 * uses, printed in a canonical form (graphql-js `print`, fragments sorted by name), so the same
 * operation always gets the same SHA-256 id whatever the files' formatting. The result is an
 * Apollo persisted-query manifest, which Apollo's client tooling reads too.
 */
export async function buildDocumentStore(dir: string): Promise<PersistedQueryManifest> {
  const files = await graphqlFiles(dir);
  if (files.length === 0) throw new DocumentBuildError(`${dir}: no .graphql or .gql files`);
  const operations = new Map<string, { node: OperationDefinitionNode; file: string }>();
  const fragments = new Map<string, { node: FragmentDefinitionNode; file: string }>();
  for (const file of files) {
    const relative = path.relative(dir, file);
    let definitions: readonly DefinitionNode[];
    try {
      definitions = parse(await readFile(file, 'utf8')).definitions;
    } catch (error) {
      throw new DocumentBuildError(`${relative}: ${(error as Error).message}`);
    }
    for (const definition of definitions) {
      if (definition.kind === Kind.OPERATION_DEFINITION) {
        const name = definition.name?.value;
        if (!name) throw new DocumentBuildError(`${relative}: every operation needs a name (it identifies the document in the store)`);
        const earlier = operations.get(name);
        if (earlier) throw new DocumentBuildError(`${relative}: operation ${name} is also defined in ${path.relative(dir, earlier.file)}`);
        operations.set(name, { node: definition, file });
      } else if (definition.kind === Kind.FRAGMENT_DEFINITION) {
        const name = definition.name.value;
        const earlier = fragments.get(name);
        if (earlier) throw new DocumentBuildError(`${relative}: fragment ${name} is also defined in ${path.relative(dir, earlier.file)}`);
        fragments.set(name, { node: definition, file });
      } else {
        throw new DocumentBuildError(`${relative}: only operations and fragments belong in client documents, found a ${definition.kind}`);
      }
    }
  }

  const built: ManifestOperation[] = [];
  for (const [name, { node, file }] of [...operations].sort(([a], [b]) => a.localeCompare(b))) {
    const used = new Set<string>();
    const pending: { selectionSet: OperationDefinitionNode['selectionSet'] }[] = [node];
    while (pending.length) {
      visit(pending.pop()!.selectionSet, {
        FragmentSpread(spread) {
          const fragmentName = spread.name.value;
          if (used.has(fragmentName)) return;
          const fragment = fragments.get(fragmentName);
          if (!fragment) throw new DocumentBuildError(`${path.relative(dir, file)}: ${name} uses fragment ${fragmentName}, which no file defines`);
          used.add(fragmentName);
          pending.push(fragment.node);
        },
      });
    }
    const body = [print(node), ...[...used].sort().map((fragmentName) => print(fragments.get(fragmentName)!.node))].join('\n\n');
    built.push({ id: hashDocument(body), name, type: node.operation, body });
  }
  return { format: 'apollo-persisted-query-manifest', version: 1, operations: built };
}

/** Builds the store from `dir` and writes it to `out`; returns how many documents it holds. */
export async function writeDocumentStore(dir: string, out: string): Promise<number> {
  const manifest = await buildDocumentStore(dir);
  await writeFile(out, `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest.operations.length;
}

async function graphqlFiles(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { recursive: true, withFileTypes: true });
  } catch {
    throw new DocumentBuildError(`${dir}: not a readable directory`);
  }
  return entries
    .filter((entry) => entry.isFile() && /\.(graphql|gql)$/.test(entry.name))
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}
