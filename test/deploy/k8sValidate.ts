import path from 'node:path';
import ts from 'typescript';

/**
 * Validation of Kubernetes objects against the official schemas of their apiVersion/kind, as
 * packaged by npm `kubernetes-models` (the Kubernetes OpenAPI definitions, compiled to one
 * validator and one TypeScript interface per kind). Nothing here is hand-written about
 * Kubernetes: a kind the package does not know is refused, never skipped.
 */

export interface K8sObject {
  apiVersion: string;
  kind: string;
  [field: string]: unknown;
}

/** A top-level model class of kubernetes-models, e.g. `Deployment` from `kubernetes-models/apps/v1/Deployment`. */
export type ModelClass<T = { validate(): void }> = (new (data: any) => T) & { apiVersion: string; kind: string };

/** The model of an apiVersion/kind; throws for a kind kubernetes-models has no schema for. */
export async function modelFor(apiVersion: unknown, kind: unknown): Promise<ModelClass> {
  const unknownKind = new Error(`unknown kind: kubernetes-models has no schema for apiVersion ${String(apiVersion)}, kind ${String(kind)}`);
  // Only well-formed names reach import(): `v1`, `apps/v1`, `networking.k8s.io/v1`; `Deployment`.
  if (typeof apiVersion !== 'string' || !/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?v[0-9]+[a-z0-9]*$/.test(apiVersion)) throw unknownKind;
  if (typeof kind !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(kind)) throw unknownKind;
  let module: Record<string, unknown>;
  try {
    module = (await import(/* @vite-ignore */ `kubernetes-models/${apiVersion}/${kind}`)) as Record<string, unknown>;
  } catch {
    throw unknownKind;
  }
  const model = module[kind] as ModelClass | undefined;
  // Nested types (DeploymentSpec, ...) are modules too, but carry no apiVersion/kind of their own.
  if (typeof model !== 'function' || model.apiVersion !== apiVersion || model.kind !== kind) throw unknownKind;
  return model;
}

/** Throws (a kubernetes-models ValidationError naming every failing path) unless `doc` matches its kind's schema. */
export async function validateOfficial(doc: Record<string, unknown>): Promise<void> {
  const Model = await modelFor(doc.apiVersion, doc.kind);
  new Model(doc).validate();
}

/**
 * What the official TypeScript definitions refuse, above all a field they do not have (a
 * misspelt key): one message per finding, with the index of its document. The JSON schemas of
 * Kubernetes leave unknown fields open (the API server drops them, or refuses them only under
 * `kubectl apply --validate=strict`), so `validateOfficial` alone lets `readinesProbe` through.
 * The kubernetes-models interfaces are closed: each document is type-checked as an object
 * literal of its kind's interface, whose excess-property check finds an unknown field at any
 * depth. `dir` is where node_modules/kubernetes-models resolves from.
 */
export function officialTypeErrors(docs: readonly K8sObject[], dir: string): { index: number; message: string }[] {
  const file = path.join(dir, '__k8s_manifests__.ts');
  // One line per document, so a diagnostic's line is the index of its document.
  const text = docs
    .map((doc, i) => `import type { I${doc.kind} as T${i} } from 'kubernetes-models/${doc.apiVersion}/${doc.kind}'; export const m${i}: T${i} = ${JSON.stringify(doc)};`)
    .join('\n');
  const options: ts.CompilerOptions = {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    lib: ['lib.es2022.d.ts'],
    types: [],
    strict: true,
    skipLibCheck: true,
    noEmit: true,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists } = host;
  host.getSourceFile = (name, language, ...rest) => (name === file ? ts.createSourceFile(name, text, language) : getSourceFile.call(host, name, language, ...rest));
  host.fileExists = (name) => name === file || fileExists.call(host, name);
  const program = ts.createProgram([file], options, host);
  return ts.getPreEmitDiagnostics(program).map((diagnostic) => ({
    index: diagnostic.file && diagnostic.start !== undefined ? diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start).line : -1,
    message: ts.flattenDiagnosticMessageText(diagnostic.messageText, ' '),
  }));
}
