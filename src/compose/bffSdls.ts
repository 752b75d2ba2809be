import type { LoadedBff, LoadedSource } from '../config/loadConfig.js';

/** One SDL that contributes to a BFF's schema, with where it came from for start-up errors. */
export interface BffSdl {
  /** "source users", "source orders/orders", "source shop (supergraph)", "BFF web typeDefs". */
  origin: string;
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
    if (source.sdl !== undefined) sdls.push({ origin: `source ${name}`, sdl: source.sdl, rename: bff.rename });
    for (const [subgraph, sdl] of Object.entries(source.subgraphSdls ?? {})) {
      sdls.push({ origin: `source ${name}/${subgraph}`, sdl, rename: bff.rename });
    }
    if (source.supergraphSdl !== undefined) {
      sdls.push({ origin: `source ${name} (supergraph)`, sdl: source.supergraphSdl, rename: bff.rename });
    }
  }
  const typeDefs = bff.resolverModule?.['typeDefs'];
  if (typeof typeDefs === 'string') sdls.push({ origin: `BFF ${bff.name} typeDefs`, sdl: typeDefs });
  return sdls;
}
