import { createRequire } from 'node:module';
import { parse, type DocumentNode } from 'graphql';
import type * as FederationComposition from '@theguild/federation-composition';
import { addMissingJoinFields } from './addMissingJoinFields.js';
import { widenFieldTypes } from './widenFieldTypes.js';

let composition: typeof FederationComposition | undefined;

/**
 * The composer is required on first use, not imported: `portico serve --supergraph` and BFFs
 * given a supergraph file never compose, and the library (143 modules) costs a gateway ~15 MiB
 * of RSS it would otherwise carry for its whole life (bench/README.md, "Where the memory goes").
 * Required, not `import()`ed, so composing stays synchronous for its callers.
 */
function federationComposition(): typeof FederationComposition {
  return (composition ??= createRequire(import.meta.url)('@theguild/federation-composition') as typeof FederationComposition);
}

export interface SubgraphDefinition {
  /** The subgraph's name: becomes `join__graph(name:)` and is how executors are looked up. */
  name: string;
  /** Where the gateway will send this subgraph's queries; written into the supergraph. */
  url: string;
  /** The subgraph's Federation v2 SDL, as `_service { sdl }` returns it. */
  sdl: string;
}

/**
 * Thrown when subgraphs do not compose. It carries every error rather than the first, because
 * composition problems usually come in sets (one renamed field breaks every `@requires` on it)
 * and fixing them one start-up at a time is slow.
 */
export class SupergraphCompositionError extends Error {
  override readonly name = 'SupergraphCompositionError';
  constructor(
    readonly subgraphs: readonly string[],
    readonly errors: readonly string[],
  ) {
    super(
      `Composing the supergraph from subgraphs ${subgraphs.join(', ')} failed with ` +
        `${errors.length} error${errors.length === 1 ? '' : 's'}:\n` +
        errors.map((message) => `  - ${message}`).join('\n'),
    );
  }
}

/**
 * Composes Federation v2 subgraph SDLs into a supergraph SDL (the same output Apollo's composer
 * gives, with the `@join__field`s the library leaves out put back: addMissingJoinFields.ts).
 */
export function composeSupergraph(subgraphs: readonly SubgraphDefinition[]): string {
  const names = subgraphs.map((subgraph) => subgraph.name);
  const parseErrors: string[] = [];
  const services: { name: string; url: string; typeDefs: DocumentNode }[] = [];
  for (const subgraph of subgraphs) {
    try {
      services.push({ name: subgraph.name, url: subgraph.url, typeDefs: parse(subgraph.sdl) });
    } catch (error) {
      parseErrors.push(`[${subgraph.name}] SDL does not parse: ${(error as Error).message}`);
    }
  }
  // Report every unparsable subgraph at once, like composition errors; composing the rest
  // would only add noise about types the broken subgraph was meant to define.
  if (parseErrors.length > 0) throw new SupergraphCompositionError(names, parseErrors);

  const { composeServices, compositionHasErrors } = federationComposition();
  const result = composeServices(services);
  if (compositionHasErrors(result)) {
    throw new SupergraphCompositionError(
      names,
      result.errors.map((error) => error.message),
    );
  }
  return widenFieldTypes(addMissingJoinFields(result.supergraphSdl, services), services);
}
