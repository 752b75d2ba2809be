import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** Every `import … from './x.js'` (type-only included: a type cycle is still a cycle) of the .ts files under `root`. */
export function importGraph(root: string): Map<string, string[]> {
  const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
  const graph = new Map<string, string[]>();
  for (const file of files) {
    const text = readFileSync(path.join(root, file), 'utf8');
    const targets: string[] = [];
    for (const match of text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'(\.{1,2}\/[^']+)'/g)) {
      targets.push(path.normalize(path.join(path.dirname(file), match[1]!.replace(/\.js$/, '.ts'))));
    }
    graph.set(path.normalize(file), targets);
  }
  return graph;
}

/** The same graph between folders (a file's folder depends on each folder it imports from). */
export function folderGraph(files: Map<string, string[]>): Map<string, string[]> {
  const graph = new Map<string, Set<string>>();
  for (const [file, targets] of files) {
    const from = path.dirname(file);
    const edges = graph.get(from) ?? graph.set(from, new Set()).get(from)!;
    for (const target of targets) if (path.dirname(target) !== from) edges.add(path.dirname(target));
  }
  return new Map([...graph].map(([folder, edges]) => [folder, [...edges]]));
}

/** Strongly connected components with more than one node: each one is a cycle (Tarjan). */
export function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (node: string) => {
    indices.set(node, index);
    low.set(node, index);
    index += 1;
    stack.push(node);
    onStack.add(node);
    for (const next of graph.get(node) ?? []) {
      if (!indices.has(next)) {
        visit(next);
        low.set(node, Math.min(low.get(node)!, low.get(next)!));
      } else if (onStack.has(next)) {
        low.set(node, Math.min(low.get(node)!, indices.get(next)!));
      }
    }
    if (low.get(node) === indices.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of graph.keys()) if (!indices.has(node)) visit(node);
  return found;
}
