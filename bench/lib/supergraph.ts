import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { composeSupergraph } from '../../src/sources/federation/composeSupergraph.js';
import { BENCH_SUBGRAPHS, benchSubgraphSdl } from '../subgraphs/schemas.js';

/** Composes the four bench subgraphs at their running URLs and writes the supergraph to `dir`. */
export async function writeBenchSupergraph(dir: string, urls: Readonly<Record<string, string>>): Promise<string> {
  const sdl = composeSupergraph(
    BENCH_SUBGRAPHS.map((name) => {
      const url = urls[name];
      if (!url) throw new Error(`bench subgraph ${name} has no URL`);
      return { name, url, sdl: benchSubgraphSdl(name) };
    }),
  );
  const file = path.join(dir, 'supergraph.graphql');
  await writeFile(file, sdl);
  return file;
}
