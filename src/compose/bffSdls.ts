import path from 'node:path';
import type { LoadedBff, LoadedSource } from '../config/loadConfig.js';
import { displayPath } from '../config/configError.js';

/** One SDL that contributes to a BFF's schema, with where it came from for start-up errors. */
export interface BffSdl {
  /** "source users", "source orders/orders", "source shop (supergraph)", "BFF web typeDefs". */
  origin: string;
  /** The SDL's file, when the source names one (`schemas/users.graphql`), for start-up errors. */
  file?: string;
  sdl: string;
  /** The BFF's renames, on source SDLs only: its own typeDefs already use the new names. */
  rename?: Readonly<Record<string, string>>;
}

/**
 * Every SDL behind a BFF's schema. Policies declared as directives (authorization, cost, cache
 * hints) are read from these at start-up rather than from the stitched schema, which does not
 * keep every directive of every source.
 */
export function bffSdlsOf(bff: LoadedBff, sources: Readonly<Record<string, LoadedSource>>): BffSdl[] {
  const sdls: BffSdl[] = [];
  for (const name of bff.sources) {
    const source = sources[name];
    if (!source) continue;
    if (source.sdl !== undefined) sdls.push({ origin: `source ${name}`, ...sdlFile(source, 'schema' in source ? source.schema : undefined), sdl: source.sdl, rename: bff.rename });
    for (const [subgraph, sdl] of Object.entries(source.subgraphSdls ?? {})) {
      const schema = source.kind === 'federation' ? source.subgraphs?.find((entry) => entry.name === subgraph)?.schema : undefined;
      sdls.push({ origin: `source ${name}/${subgraph}`, ...sdlFile(source, schema), sdl, rename: bff.rename });
    }
    if (source.supergraphSdl !== undefined) {
      sdls.push({ origin: `source ${name} (supergraph)`, sdl: source.supergraphSdl, rename: bff.rename });
    }
  }
  const typeDefs = bff.resolverModule?.['typeDefs'];
  if (typeof typeDefs === 'string') sdls.push({ origin: `BFF ${bff.name} typeDefs`, ...(bff.resolvers ? { file: displayPath(path.resolve(path.dirname(bff.file), bff.resolvers)) } : {}), sdl: typeDefs });
  return sdls;
}

/** `{ file }` of a source's SDL, as start-up errors print paths; nothing when it has no file. */
function sdlFile(source: LoadedSource, schema: string | undefined): { file?: string } {
  return schema === undefined ? {} : { file: displayPath(path.resolve(path.dirname(source.file), schema)) };
}
