/**
 * Imports a TypeScript module through tsx, scoped to that one import graph (loadConfig.ts says
 * when: only a compiled gateway meets a `.ts` config), and leaves the process's source-map
 * setting as it found it.
 *
 * tsx turns Node's source maps on for the whole process and never turns them off again. With
 * them on, every error stack that is read is mapped frame by frame through the compiled build's
 * `.map` files: a subgraph failure shaped into a few hundred field errors, each GraphQLError
 * reading its original error's stack, then cost several times what it does without. The
 * compiled gateway's stacks name `dist/` lines either way; an operator who wants them mapped
 * says so with `--enable-source-maps` (docs/operations.md), and that choice is kept.
 */
export async function importTypeScript(url: string, parentUrl: string): Promise<unknown> {
  const sourceMaps = process.sourceMapsEnabled;
  try {
    const { tsImport } = await import('tsx/esm/api');
    return await tsImport(url, parentUrl);
  } finally {
    process.setSourceMapsEnabled(sourceMaps);
  }
}
