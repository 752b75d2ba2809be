import { readFile } from 'node:fs/promises';
import { composeSupergraph, type SubgraphDefinition } from '../sources/federation/composeSupergraph.js';

/** A subgraph as `--subgraph NAME=FILE|URL[@ROUTING_URL]` gives it. */
export interface SubgraphInput {
  name: string;
  /** A file holding the subgraph's SDL, or the subgraph's own URL to ask `_service { sdl }`. */
  from: string;
  /** Where the supergraph sends this subgraph's queries; for a live subgraph, its URL by default. */
  routingUrl?: string;
}

/** An input the command cannot use: a malformed `--subgraph`, an unreadable file, an unreachable subgraph. */
export class ComposeInputError extends Error {
  override readonly name = 'ComposeInputError';
}

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;
const isUrl = (text: string) => /^https?:\/\//.test(text);

/** Reads `NAME=FILE|URL[@ROUTING_URL]`: the routing URL follows the last `@` that starts a URL. */
export function parseSubgraphInput(text: string): SubgraphInput {
  const equals = text.indexOf('=');
  const name = text.slice(0, equals);
  if (equals < 1 || !NAME.test(name)) throw new ComposeInputError(`--subgraph ${text}: expected NAME=FILE|URL[@ROUTING_URL] with a name of letters, digits, "_" or "-"`);
  let from = text.slice(equals + 1);
  let routingUrl: string | undefined;
  const at = from.lastIndexOf('@');
  if (at > 0 && isUrl(from.slice(at + 1))) {
    routingUrl = from.slice(at + 1);
    from = from.slice(0, at);
  }
  if (!from) throw new ComposeInputError(`--subgraph ${text}: no file or URL after "="`);
  if (!isUrl(from) && !routingUrl) {
    throw new ComposeInputError(`--subgraph ${text}: a subgraph read from a file needs @ROUTING_URL, the URL the supergraph sends its queries to`);
  }
  return { name, from, ...(routingUrl ? { routingUrl } : {}) };
}

export interface ComposeOptions {
  /**
   * How long a live subgraph may take to answer `_service { sdl }`.
   * @default 10000: a subgraph that is up answers in milliseconds; this only bounds a hung one.
   */
  timeoutMs?: number;
}

/**
 * Composes a Federation v2 supergraph (composeSupergraph.ts, @theguild/federation-composition)
 * from subgraph SDL files and live subgraphs. Every subgraph's SDL is read first, so an
 * unreachable one is reported before any composition; composition errors come back as a
 * SupergraphCompositionError whose messages name the subgraph (`[orders]`) and the type.
 */
export async function composeFromSubgraphs(inputs: readonly SubgraphInput[], options: ComposeOptions = {}): Promise<string> {
  if (inputs.length === 0) throw new ComposeInputError('give at least one --subgraph NAME=FILE|URL[@ROUTING_URL]');
  const names = new Set<string>();
  const definitions: SubgraphDefinition[] = [];
  for (const input of inputs) {
    if (names.has(input.name)) throw new ComposeInputError(`--subgraph ${input.name}: the name is given twice`);
    names.add(input.name);
    const sdl = isUrl(input.from) ? await fetchSdl(input, options.timeoutMs ?? 10_000) : await readSdl(input);
    definitions.push({ name: input.name, url: input.routingUrl ?? input.from, sdl });
  }
  return composeSupergraph(definitions);
}

async function readSdl(input: SubgraphInput): Promise<string> {
  try {
    return await readFile(input.from, 'utf8');
  } catch {
    throw new ComposeInputError(`subgraph ${input.name}: cannot read ${input.from}`);
  }
}

async function fetchSdl(input: SubgraphInput, timeoutMs: number): Promise<string> {
  const fail = (why: string): never => {
    throw new ComposeInputError(`subgraph ${input.name}: ${input.from}: ${why}`);
  };
  let response: Response;
  try {
    response = await fetch(input.from, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json, application/json' },
      body: JSON.stringify({ query: '{ _service { sdl } }' }),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    return fail(`unreachable (${(error as Error).message})`);
  }
  let body: { data?: { _service?: { sdl?: unknown } }; errors?: { message: string }[] };
  try {
    body = (await response.json()) as typeof body;
  } catch {
    return fail(`answered ${response.status} without a GraphQL response`);
  }
  const sdl = body.data?._service?.sdl;
  if (typeof sdl !== 'string') {
    return fail(`no _service { sdl } in the answer (${body.errors?.[0]?.message ?? `status ${response.status}`}); is it a federation subgraph?`);
  }
  return sdl;
}
