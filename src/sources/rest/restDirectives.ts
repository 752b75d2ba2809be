import { parse, type DocumentNode } from 'graphql';

/**
 * The directives of a REST source's SDL. The engine adds these definitions itself, so the files
 * in schemas/ hold only what differs between sources; declaring them again there is an error.
 * They steer the engine and are stripped from the schema the gateway stitches, so they never
 * clash with another source's directives (federation's `@key`, for one). docs/rest-sources.md
 * is the reference with a worked example.
 */
export const restDirectiveDefinitions = /* GraphQL */ `
"""
The field calls GET <baseUrl><path> and resolves to the JSON body. Placeholders {args.<name>}
and {parent.<field>} are URL-encoded. \`query\` maps parameter names to templates; a parameter
whose value is null is left out. 404 resolves a nullable field to null.
"""
directive @rest(path: String!, query: RestQuery) on FIELD_DEFINITION

"The JSON property holding this field's value, when it is not the field's name."
directive @map(from: String!) on FIELD_DEFINITION

"""
An entity other sources can merge with by this key (one leaf field). Without @batch the source
only extends the entity: it resolves keys to stubs and fetches its own fields from {parent.<key>}.
"""
directive @key(fields: String!) on OBJECT

"""
Resolves the entity by key in bulk: GET <baseUrl><path>?<param>=k1,k2,... returns a JSON array in
key order with null for unknown keys. maxSize is the upstream's limit per call.
"""
directive @batch(path: String!, param: String!, maxSize: Int) on OBJECT

"An object literal of query parameter name to template, e.g. {page: \\"{args.page}\\"}."
scalar RestQuery
`;

/** Stripped from the SDL before the executable schema is built. */
export const restDirectiveNames: ReadonlySet<string> = new Set(['rest', 'map', 'key', 'batch']);

export const restDirectiveDocument: DocumentNode = parse(restDirectiveDefinitions);
