import { buildSchema, execute, parse, print, GraphQLError, type ExecutionArgs } from 'graphql';
import { describe, expect, it } from 'vitest';
import { executeIncrementally } from '../../../src/plugins/incremental/executeIncrementally.js';
import { splitDeferredOperation } from '../../../src/plugins/incremental/splitDeferredOperation.js';

const schema = buildSchema(`
  type Query { shelf: Shelf }
  type Shelf { name: String! books: [Book!]! }
  type Book { title: String! review: String! }
`);
const data = { shelf: { name: 'S', books: [{ title: 'A', review: 'good' }, { title: 'B', review: 'bad' }] } };

/** Parts run by graphql-js over the data; a part's own document says whether it is deferred. */
function parts(options: { hold?: Promise<void>; failReview?: boolean } = {}) {
  const seen: string[] = [];
  const run = async (args: ExecutionArgs) => {
    const text = print(args.document);
    seen.push(text);
    const deferred = text.includes('review');
    if (deferred && options.hold) await options.hold;
    return execute({
      ...args,
      rootValue: data,
      fieldResolver: (source, _args, _context, info) => {
        if (info.fieldName === 'review' && options.failReview) throw new GraphQLError('down', { extensions: { code: 'SUBGRAPH_UNAVAILABLE' } });
        return (source as Record<string, unknown>)[info.fieldName];
      },
    });
  };
  return { run, seen };
}

async function collect(result: unknown): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for await (const payload of result as AsyncIterable<Record<string, unknown>>) out.push(JSON.parse(JSON.stringify(payload)) as Record<string, unknown>);
  return out;
}

describe('executeIncrementally', () => {
  const document = parse('{ shelf { name books { title ... @defer(label: "r") { review } } } }');

  it('sends the first payload before the deferred part is answered, and one payload per deferred list item after', async () => {
    let release!: () => void;
    const hold = new Promise<void>((resolve) => (release = resolve));
    const { run, seen } = parts({ hold });
    const result = (await executeIncrementally({ schema, document }, splitDeferredOperation(document, undefined, {})!, run)) as AsyncIterable<Record<string, unknown>>;
    const iterator = result[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value).toEqual({ data: { shelf: { name: 'S', books: [{ title: 'A' }, { title: 'B' }] } }, hasNext: true });
    // Both parts started at once: the deferred one is being held, not waiting to be started.
    expect(seen).toHaveLength(2);
    release();
    const rest = await collect({ [Symbol.asyncIterator]: () => iterator });
    const entries = rest.flatMap((payload) => payload['incremental'] as Record<string, unknown>[]);
    expect(entries).toEqual([
      { data: { review: 'good' }, path: ['shelf', 'books', 0], label: 'r' },
      { data: { review: 'bad' }, path: ['shelf', 'books', 1], label: 'r' },
    ]);
  });

  it("puts a deferred part's errors in the payloads of the fragments they lie under, each once", async () => {
    const { run } = parts({ failReview: true });
    const payloads = await collect(await executeIncrementally({ schema, document }, splitDeferredOperation(document, undefined, {})!, run));
    expect(payloads[0]).toEqual({ data: { shelf: { name: 'S', books: [{ title: 'A' }, { title: 'B' }] } }, hasNext: true });
    const entries = payloads.slice(1).flatMap((payload) => payload['incremental'] as { path: unknown[]; data: unknown; errors: { path: unknown[]; extensions: { code: string } }[] }[]);
    // review is non-null: each fragment's data is null, with the part's error at the field's path.
    expect(entries.map((entry) => [entry.path, entry.data, entry.errors.map((error) => [error.path, error.extensions.code])])).toEqual([
      [['shelf', 'books', 0], null, [[['shelf', 'books', 0, 'review'], 'SUBGRAPH_UNAVAILABLE']]],
      [['shelf', 'books', 1], null, [[['shelf', 'books', 1, 'review'], 'SUBGRAPH_UNAVAILABLE']]],
    ]);
  });
});
