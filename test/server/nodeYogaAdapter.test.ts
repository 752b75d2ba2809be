import { makeExecutableSchema } from '@graphql-tools/schema';
import { GraphQLError, type ExecutionResult, type FieldNode, type ValidationContext } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadedBff } from '../../src/config/loadConfig.js';
import { bffSchema } from '../../src/config/schema.js';
import { nodeAdapterEnabled } from '../../src/config/nodeAdapterEnv.js';
import { ConfigError } from '../../src/config/configError.js';
import { startBffServer, type RunningBff } from '../../src/server/createBffServer.js';
import { useRequestId } from '../../src/plugins/edge/useRequestId.js';
import { useRequestShape } from '../../src/plugins/edge/useRequestShape.js';
import { useQueryLimits } from '../../src/plugins/limits/useQueryLimits.js';
import { useErrorMasking } from '../../src/plugins/response/useErrorMasking.js';

// The node adapter (src/server/nodeYogaAdapter.ts) runs the pipeline's hooks on node's own request
// and response for GraphQL POSTs of JSON; yoga's @whatwg-node handler runs the same hooks on fetch
// objects. The two must be indistinguishable to a client: the same status, headers and body for
// every request, answered or refused, in every phase a hook can end or change it.

const schema = makeExecutableSchema({
  typeDefs: 'type Query { hello(name: String): String, boom: String, slow: String } type Mutation { touch: Int }',
  resolvers: {
    Query: {
      hello: (_: unknown, { name }: { name?: string }) => `hello ${name ?? 'world'}`,
      boom: () => {
        throw new GraphQLError('on purpose', { extensions: { code: 'BOOM' } });
      },
      slow: async () => {
        await Promise.resolve();
        return 'eventually';
      },
    },
    Mutation: { touch: () => 1 },
  },
});

// Requests the probe was asked to keep (`x-probe: keep`), as its onRequest hook saw them.
const kept: Request[] = [];

// A plugin that exercises what a hook may do in each phase the adapter runs: end the request
// early, replace the parameters, answer without executing, change the result and the response.
function useHookProbe(): Plugin {
  return {
    onRequest({ request, endResponse, fetchAPI }) {
      if (request.headers.get('x-probe') === 'keep') kept.push(request);
      if (request.headers.get('x-probe') === 'end-on-request') endResponse(new fetchAPI.Response('ended', { status: 418, headers: { 'x-ended': 'onRequest' } }));
    },
    async onRequestParse({ request, endResponse, fetchAPI }) {
      await Promise.resolve();
      if (request.headers.get('x-probe') === 'end-on-parse') endResponse(fetchAPI.Response.json({ ended: 'onRequestParse' }, { status: 409 }));
    },
    onParams({ request, params, setParams, setResult }) {
      const probe = request.headers.get('x-probe');
      if (probe === 'rename') setParams({ ...params, query: '{ hello(name: "renamed") }' });
      if (probe === 'short-circuit') setResult({ data: { hello: 'from onParams' } });
    },
    onExecutionResult({ request, result, setResult }) {
      if (request.headers.get('x-probe') === 'extend' && result && !Array.isArray(result) && 'data' in result) setResult({ ...result, extensions: { probed: true } });
    },
    onResultProcess({ request, result, setResult }) {
      if (request.headers.get('x-probe') !== 'wait-result' || Array.isArray(result)) return undefined;
      // Waits a turn of the event loop, then changes the result the processor will serialise.
      return new Promise<void>((resolve) =>
        setImmediate(() => {
          setResult({ ...result, extensions: { waited: true } });
          resolve();
        }),
      );
    },
    onResponse({ request, response }) {
      response.headers.set('x-seen-method', request.method);
      if (request.headers.get('x-probe') === 'cookie') {
        response.headers.append('set-cookie', 'a=1');
        response.headers.append('set-cookie', 'b=2');
      }
    },
  };
}

// The same for envelop's phases, which the adapter runs in its own loops (src/server/envelopPhases.ts):
// a hook may replace the parser, the parsed document or the parse result, add a validation rule
// or replace the validation result, replace the executor, answer without executing, extend the
// context, throw, wait, and change the result after execution.
function useEnvelopProbe(): Plugin {
  const probeOf = (context: unknown) => (context as { request?: Request }).request?.headers.get('x-envelop') ?? '';
  return {
    onParse({ context, setParsedDocument, setParseFn, parseFn }) {
      const probe = probeOf(context);
      if (probe === 'parsed-document') setParsedDocument(parseFn('{ hello(name: "parsed") }'));
      if (probe === 'parse-fn') setParseFn((source, options) => parseFn(String(source).replace('hello', 'hello(name: "parser")'), options));
      if (probe === 'parse-after') return ({ replaceParseResult }) => replaceParseResult(parseFn('{ hello(name: "after parse") }'));
      return undefined;
    },
    onValidate({ context, addValidationRule }) {
      const probe = probeOf(context);
      if (probe === 'rule') addValidationRule((ctx: ValidationContext) => ({ Field: (node: FieldNode) => (node.name.value === 'hello' ? ctx.reportError(new GraphQLError('no hello here', { extensions: { code: 'PROBE_RULE' } })) : undefined) }));
      if (probe === 'validate-after') return ({ setResult }) => setResult([new GraphQLError('refused after validation', { extensions: { code: 'PROBE_AFTER' } })]);
      if (probe === 'validate-cleared') return ({ valid, setResult }) => (valid ? undefined : setResult([]));
      return undefined;
    },
    async onExecute({ args, setResultAndStopExecution, setExecuteFn, extendContext }) {
      const probe = probeOf(args.contextValue);
      if (probe === 'stop') setResultAndStopExecution({ data: { hello: 'stopped' } });
      if (probe === 'throw') throw new Error('a hook failed');
      if (probe === 'executor') {
        await Promise.resolve();
        extendContext({ probed: 'yes' } as object);
        setExecuteFn((next) => ({ data: { hello: `executor saw ${(next.contextValue as { probed?: string }).probed}` } }));
      }
      if (probe === 'execute-done') {
        return { onExecuteDone: ({ result, setResult }) => setResult({ ...(result as ExecutionResult), extensions: { done: true } }) };
      }
      return undefined;
    },
  };
}

let withAdapter: RunningBff;
let withoutAdapter: RunningBff;
beforeAll(async () => {
  const bff: LoadedBff = { ...bffSchema.parse({ name: 'edge', port: 0, sources: ['none'], limits: { maxBatchedOperations: 3 } }), file: 'test' };
  const plugins = () => [useRequestId(), useRequestShape({ maxJsonDepth: 8 }), useQueryLimits(bff.limits), useHookProbe(), useEnvelopProbe(), useErrorMasking()];
  const logger = pino({ level: 'silent' });
  withAdapter = await startBffServer({ bff, schema, plugins: plugins(), logger });
  withoutAdapter = await startBffServer({ bff, schema, plugins: plugins(), logger, nodeAdapter: false });
});
afterAll(async () => {
  await withAdapter?.close(0);
  await withoutAdapter?.close(0);
});

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

async function ask(server: RunningBff, body: string, headers: Record<string, string>): Promise<Answer> {
  const response = await fetch(server.url, { method: 'POST', headers: { 'x-request-id': 'same-id', ...headers }, body });
  const seen: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    // The date differs by the clock; keep-alive is the connection's, not the answer's; and the
    // body's framing may differ (yoga sends an empty body chunked, the adapter with a length):
    // the bodies themselves are compared.
    if (!['date', 'keep-alive', 'connection', 'content-length', 'transfer-encoding'].includes(name)) seen[name] = value;
  });
  if (response.headers.getSetCookie().length > 0) seen['set-cookie'] = response.headers.getSetCookie().join(' | ');
  return { status: response.status, headers: seen, body: await response.text() };
}

const json = { 'content-type': 'application/json' };
const cases: [string, string, Record<string, string>][] = [
  ['a query', JSON.stringify({ query: '{ hello }' }), json],
  ['variables and an operation name', JSON.stringify({ query: 'query Q($n: String) { hello(name: $n) } query R { boom }', variables: { n: 'you' }, operationName: 'Q' }), json],
  ['an error thrown on purpose', JSON.stringify({ query: '{ hello boom }' }), json],
  ['an asynchronous resolver', JSON.stringify({ query: '{ slow }' }), json],
  ['a mutation', JSON.stringify({ query: 'mutation { touch }' }), json],
  ['a syntax error', JSON.stringify({ query: '{ hello ' }), json],
  ['a syntax error, asking for graphql-response+json', JSON.stringify({ query: '{ hello ' }), { ...json, accept: 'application/graphql-response+json' }],
  ['a validation error', JSON.stringify({ query: '{ nope }' }), json],
  ['an unknown operation name', JSON.stringify({ query: '{ hello }', operationName: 'Missing' }), json],
  ['no query', JSON.stringify({ variables: {} }), json],
  ['a body that is not JSON', '{ "query": ', json],
  ['a body that is a JSON string', '"hello"', json],
  ['JSON nested too deep', JSON.stringify({ query: '{ hello }', variables: { a: [[[[[[[[[[1]]]]]]]]]] } }), json],
  ['a parameter given twice', '{"query":"{ hello }","query":"{ boom }"}', json],
  ['a batch', JSON.stringify([{ query: '{ hello }' }, { query: '{ boom }' }]), json],
  ['a batch over the limit', JSON.stringify([{ query: '{ hello }' }, { query: '{ hello }' }, { query: '{ hello }' }, { query: '{ hello }' }]), json],
  ['a charset in the content type', JSON.stringify({ query: '{ hello }' }), { 'content-type': 'application/json; charset=utf-8' }],
  ['an Accept no processor serves', JSON.stringify({ query: '{ hello }' }), { ...json, accept: 'text/html' }],
  ['a hook ending the request in onRequest', JSON.stringify({ query: '{ hello }' }), { ...json, 'x-probe': 'end-on-request' }],
  ['an asynchronous hook ending it in onRequestParse', JSON.stringify({ query: '{ hello }' }), { ...json, 'x-probe': 'end-on-parse' }],
  ['a hook replacing the parameters', JSON.stringify({ query: '{ hello }' }), { ...json, 'x-probe': 'rename' }],
  ['a hook answering in onParams', JSON.stringify({ query: '{ hello }' }), { ...json, 'x-probe': 'short-circuit' }],
  ['a hook changing the result', JSON.stringify({ query: '{ hello }' }), { ...json, 'x-probe': 'extend' }],
  ['a hook setting two cookies', JSON.stringify({ query: '{ hello }' }), { ...json, 'x-probe': 'cookie' }],
  ['an asynchronous onResultProcess changing the result', JSON.stringify({ query: '{ hello }' }), { ...json, 'x-probe': 'wait-result' }],
  ['onParse giving the parsed document', JSON.stringify({ query: '{ hello }' }), { ...json, 'x-envelop': 'parsed-document' }],
  ['onParse replacing the parser', JSON.stringify({ query: '{ hello }' }), { ...json, 'x-envelop': 'parse-fn' }],
  ['onParse\'s after hook replacing the result', JSON.stringify({ query: '{ hello ' }), { ...json, 'x-envelop': 'parse-after' }],
  ['onValidate adding a rule', JSON.stringify({ query: '{ hello }' }), { ...json, 'x-envelop': 'rule' }],
  ['onValidate\'s after hook replacing the result', JSON.stringify({ query: '{ hello }' }), { ...json, 'x-envelop': 'validate-after' }],
  ['onValidate\'s after hook clearing the errors', JSON.stringify({ query: '{ nope }' }), { ...json, 'x-envelop': 'validate-cleared' }],
  ['onExecute answering without executing', JSON.stringify({ query: '{ hello }' }), { ...json, 'x-envelop': 'stop' }],
  ['onExecute throwing', JSON.stringify({ query: '{ hello }' }), { ...json, 'x-envelop': 'throw' }],
  ['an asynchronous onExecute replacing the executor and extending the context', JSON.stringify({ query: '{ hello }' }), { ...json, 'x-envelop': 'executor' }],
  ['onExecuteDone changing the result', JSON.stringify({ query: '{ hello boom }' }), { ...json, 'x-envelop': 'execute-done' }],
  ['text that may be a subscription (yoga\'s own phases run it)', JSON.stringify({ query: '{ hello(name: "subscription") }' }), { ...json, 'x-envelop': 'execute-done' }],
];

// What each envelop probe leaves in the answer.
const envelopMarks: Record<string, string> = {
  'parsed-document': 'hello parsed',
  'parse-fn': 'hello parser',
  'parse-after': 'hello after parse',
  rule: 'no hello here',
  'validate-after': 'refused after validation',
  'validate-cleared': '{"data":{}}',
  stop: 'stopped',
  throw: 'INTERNAL_SERVER_ERROR',
  executor: 'executor saw yes',
  'execute-done': '"extensions":{"done":true}',
};

describe('GraphQL POSTs through the node adapter and through yoga\'s own handler', () => {
  it.each(cases)('answer %s alike', async (_name, body, headers) => {
    const direct = await ask(withAdapter, body, headers);
    const viaYoga = await ask(withoutAdapter, body, headers);
    expect(direct).toEqual(viaYoga);
    // And the envelop hook acted: its mark is in the answer.
    const probe = headers['x-envelop'];
    if (probe) expect(direct.body).toContain(envelopMarks[probe]);
    if (headers['x-probe'] === 'wait-result') expect(direct.body).toContain('"extensions":{"waited":true}');
    // The pipeline's own headers are there on both: the hooks ran.
    expect(direct.headers['x-request-id']).toBe('same-id');
  });

  it('hands requests it does not take (a GET) to yoga, which answers them as before', async () => {
    const response = await fetch(`${withAdapter.url}?query=${encodeURIComponent('{ hello }')}`, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-seen-method')).toBe('GET');
    expect(await response.json()).toEqual({ data: { hello: 'hello world' } });
  });
});

describe('the request the adapter gives the hooks', () => {
  // Per-request getters in an object literal cost each request a hidden class of its own, which
  // V8 keeps in the old generation: that kept every request alive through young-generation
  // collections (bench/README.md, "Speed work"). The view's accessors belong to its class.
  it('reads like a fetch Request, and every request\'s shares one shape, accessors on the prototype', async () => {
    kept.length = 0;
    const body = JSON.stringify({ query: '{ hello }' });
    await ask(withAdapter, body, { ...json, 'x-probe': 'keep' });
    await ask(withAdapter, body, { ...json, 'x-probe': 'keep' });
    expect(kept).toHaveLength(2);
    const [first, second] = kept as [Request, Request];
    expect(first).not.toBe(second);
    expect(Object.getPrototypeOf(first)).toBe(Object.getPrototypeOf(second));
    for (const name of ['body', 'signal', 'text', 'json', 'clone']) expect(Object.getOwnPropertyDescriptor(first, name)).toBeUndefined();
    expect(first.method).toBe('POST');
    expect(first.headers.get('x-probe')).toBe('keep');
    expect(await first.text()).toBe(body);
    expect(await first.clone().json()).toEqual({ query: '{ hello }' });
    expect(first.signal.aborted).toBe(false);
  });
});

describe('PORTICO_NODE_ADAPTER', () => {
  it('is on unless set to off, and a misspelt value stops start-up naming it', () => {
    expect(nodeAdapterEnabled({})).toBe(true);
    expect(nodeAdapterEnabled({ PORTICO_NODE_ADAPTER: 'on' })).toBe(true);
    expect(nodeAdapterEnabled({ PORTICO_NODE_ADAPTER: 'off' })).toBe(false);
    expect(() => nodeAdapterEnabled({ PORTICO_NODE_ADAPTER: 'no' })).toThrow(ConfigError);
    expect(() => nodeAdapterEnabled({ PORTICO_NODE_ADAPTER: 'no' })).toThrow(/PORTICO_NODE_ADAPTER/);
  });
});
