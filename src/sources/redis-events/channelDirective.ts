import { buildASTSchema, isObjectType, parse, type DocumentNode, type GraphQLSchema } from 'graphql';
import { getDirective } from '@graphql-tools/utils';

/**
 * The directive of a Redis event source's SDL, added by the engine (declaring it again in the file
 * is an error) and stripped before the schema is stitched. docs/redis-event-sources.md is the
 * reference.
 */
export const channelDirectiveDefinition = /* GraphQL */ `
"""
The subscription field listens on the Redis pub/sub channel \`name\`; each message is one JSON
event, the field's value. Placeholders {<argument>} take the field's arguments; a value may hold
only letters, digits, '_' and '-', so no argument can reach a channel the template does not name.
"""
directive @channel(name: String!) on FIELD_DEFINITION
`;

const channelDocument: DocumentNode = parse(channelDirectiveDefinition);

/** A value that may fill a placeholder: no separator, no glob character, nothing to escape. */
const SAFE_VALUE = /^[A-Za-z0-9_-]{1,128}$/;
const PLACEHOLDER = /\{([_A-Za-z][_0-9A-Za-z]*)\}/g;

export interface ChannelField {
  fieldName: string;
  template: string;
  /** Argument names the template uses, in order. */
  placeholders: string[];
}

/**
 * Reads every `Subscription` field's `@channel`. A subscription field without one, a placeholder
 * naming no argument, or a `@channel` outside `Subscription` fails start-up with the field named.
 */
export function parseChannelFields(sdl: string, source: string): { document: DocumentNode; fields: ChannelField[] } {
  let document: DocumentNode;
  let annotated: GraphQLSchema;
  try {
    document = parse(sdl);
    annotated = buildASTSchema({ kind: document.kind, definitions: [...channelDocument.definitions, ...document.definitions] }, { assumeValidSDL: false });
  } catch (error) {
    throw new Error(`${source}: ${(error as Error).message}`);
  }
  const subscription = annotated.getSubscriptionType();
  if (!subscription) throw new Error(`${source}: a Redis event source needs a Subscription type`);
  for (const type of Object.values(annotated.getTypeMap())) {
    if (!isObjectType(type) || type === subscription || type.name.startsWith('__')) continue;
    for (const field of Object.values(type.getFields())) {
      if (getDirective(annotated, field, 'channel')) throw new Error(`${source}: ${type.name}.${field.name}: @channel belongs on Subscription fields only`);
    }
  }
  const fields: ChannelField[] = [];
  for (const field of Object.values(subscription.getFields())) {
    const directive = getDirective(annotated, field, 'channel')?.[0] as { name: string } | undefined;
    if (!directive) throw new Error(`${source}: Subscription.${field.name} has no @channel`);
    const argumentNames = new Set(field.args.map((argument) => argument.name));
    const placeholders = [...directive.name.matchAll(PLACEHOLDER)].map((match) => match[1]!);
    for (const placeholder of placeholders) {
      if (!argumentNames.has(placeholder)) throw new Error(`${source}: Subscription.${field.name}: @channel placeholder {${placeholder}} names no argument`);
    }
    fields.push({ fieldName: field.name, template: directive.name, placeholders });
  }
  return { document: stripChannelDirective(document), fields };
}

/**
 * The channel a subscription listens on, or the name of the argument whose value may not fill a
 * placeholder (absent, or holding a character outside [A-Za-z0-9_-]).
 */
export function expandChannel(field: ChannelField, args: Readonly<Record<string, unknown>>): { channel: string } | { invalid: string } {
  for (const name of field.placeholders) {
    const value = args[name];
    if ((typeof value !== 'string' && typeof value !== 'number') || !SAFE_VALUE.test(String(value))) return { invalid: name };
  }
  return { channel: field.template.replace(PLACEHOLDER, (_, name: string) => String(args[name])) };
}

function stripChannelDirective(document: DocumentNode): DocumentNode {
  return {
    ...document,
    definitions: document.definitions.map((definition) => {
      if (!('fields' in definition) || !definition.fields || definition.kind === 'InputObjectTypeDefinition' || definition.kind === 'InputObjectTypeExtension') return definition;
      return {
        ...definition,
        fields: definition.fields.map((field) => ({ ...field, directives: field.directives?.filter((directive) => directive.name.value !== 'channel') })),
      };
    }),
  } as DocumentNode;
}
