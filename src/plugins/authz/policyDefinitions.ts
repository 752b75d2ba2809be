import {
  Kind,
  parse,
  type DocumentNode,
  type InterfaceTypeDefinitionNode,
  type InterfaceTypeExtensionNode,
  type ObjectTypeDefinitionNode,
  type ObjectTypeExtensionNode,
} from 'graphql';

/** One SDL a policy is read from, with the BFF's renames when it is a source's. */
export interface PolicySdl {
  /** Names the SDL in start-up errors: a source, a federation subgraph, a BFF's typeDefs. */
  origin: string;
  /** The SDL's file, when it has one (`schemas/users.graphql`): start-up errors name it. */
  file?: string;
  sdl: string | DocumentNode;
  /** `{ "Product.name": "title" }`: the BFF serves the field under the new name. */
  rename?: Readonly<Record<string, string>>;
}

export type PolicyDefinition = ObjectTypeDefinitionNode | ObjectTypeExtensionNode | InterfaceTypeDefinitionNode | InterfaceTypeExtensionNode;

/**
 * Every object and interface definition (or extension) of every SDL, with the SDL it is in: the
 * places policy directives stand. An SDL that does not parse throws with its origin named.
 */
export function* policyDefinitions(sdls: readonly PolicySdl[]): Generator<{ sdl: PolicySdl; definition: PolicyDefinition }> {
  for (const sdl of sdls) {
    let document: DocumentNode;
    try {
      document = typeof sdl.sdl === 'string' ? parse(sdl.sdl) : sdl.sdl;
    } catch (error) {
      throw new Error(`${sdl.origin}: the SDL does not parse: ${(error as Error).message}`);
    }
    for (const definition of document.definitions) {
      if (
        definition.kind === Kind.OBJECT_TYPE_DEFINITION ||
        definition.kind === Kind.OBJECT_TYPE_EXTENSION ||
        definition.kind === Kind.INTERFACE_TYPE_DEFINITION ||
        definition.kind === Kind.INTERFACE_TYPE_EXTENSION
      ) {
        yield { sdl, definition };
      }
    }
  }
}
