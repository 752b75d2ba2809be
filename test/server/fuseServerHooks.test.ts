import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GraphQLError } from 'graphql';
import { createSchema, createYoga, type Plugin } from 'graphql-yoga';
import { describe, expect, it } from 'vitest';
import { FUSED_HOOKS, fuseServerHooks } from '../../src/server/fuseServerHooks.js';

// Each case runs the same plugins through two real yogas, as given and fused, and asserts the
// answers (status, the headers the plugins write, body) and the order the hooks ran in are the
// same. The hooks are written to depend on what the earlier ones set, so a fused loop that
// handed them stale payload fields, ran one too many or too few, or reordered them would differ.

const schema = createSchema({
  typeDefs: 'type Query { hello(name: String): String, boom: String }',
  resolvers: { Query: { hello: (_: unknown, { name }: { name?: string }) => `hello ${name ?? 'world'}`, boom: () => 'boom' } },
});

type Log = string[];
type Plugins = (log: Log) => Plugin[];

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
  log: Log;
}

async function ask(plugins: Plugins, fused: boolean, path: string, init: RequestInit = {}): Promise<Answer> {
  const log: Log = [];
  const given = plugins(log);
  const yoga = createYoga({ schema, logging: false, maskedErrors: false, landingPage: false, graphiql: false, plugins: fused ? fuseServerHooks(given) : given });
  // An error out of onRequest, onResultProcess or onResponse leaves yoga.fetch; the node listener
  // would answer it with a 500 carrying its stack.
  let response: Response;
  try {
    // a fresh headers object each time: the fetch ponyfill's Headers may write through to it
    response = await yoga.fetch(`http://portico.test${path}`, { ...init, headers: { ...(init.headers as Record<string, string>) } });
  } catch (error) {
    return { status: 0, headers: {}, body: `thrown ${String(error)}`, log };
  }
  const headers = Object.fromEntries([...response.headers].filter(([name]) => name.startsWith('x-') || name === 'content-type'));
  return { status: response.status, headers, body: await response.text(), log };
}

/** Asserts both yogas answer alike, and returns the fused one's answer for the case's own checks. */
async function same(plugins: Plugins, path: string, init?: RequestInit): Promise<Answer> {
  const given = await ask(plugins, false, path, init);
  const fused = await ask(plugins, true, path, init);
  expect(fused).toEqual(given);
  return fused;
}

const post = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});
const HELLO = post({ query: '{ hello }' });
/** A promise settled by the event loop, not by a timer. */
const later = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('fuseServerHooks: onRequest', () => {
  const plugins: Plugins = (log) => {
    let replaced: Request | undefined;
    let handlerByD: unknown;
    const tag = (request: Request) => `${request.headers.get('x-tag') ?? '-'}${request === replaced ? ' replaced' : ''}`;
    return [
      { onRequest: ({ request }) => void log.push(`a ${tag(request)}`) },
      {
        onRequest: ({ request, setRequest, fetchAPI }) => {
          const headers = new fetchAPI.Headers(request.headers);
          headers.set('x-tag', 'set-by-b');
          replaced = new fetchAPI.Request(request, { headers });
          setRequest(replaced);
        },
      },
      {
        onRequest: async ({ request }) => {
          await later();
          log.push(`c ${tag(request)}`);
        },
      },
      {
        onRequest: ({ requestHandler, setRequestHandler }) => {
          handlerByD = async (request: Request, context: Parameters<typeof requestHandler>[1]) => {
            const response = (await requestHandler(request, context)) as Response;
            response.headers.set('x-handler', 'wrapped-by-d');
            return response;
          };
          setRequestHandler(handlerByD as typeof requestHandler);
        },
      },
      {
        onRequest: ({ requestHandler, url, endResponse }) => {
          log.push(`e sees ${requestHandler === handlerByD ? "d's handler" : 'a stale one'}`);
          if (url.pathname === '/nothing') endResponse(undefined as never);
          if (url.pathname === '/stop') endResponse(new Response('stopped', { status: 418, headers: { 'x-by': 'e' } }));
        },
      },
      {
        onRequest: async ({ url, endResponse }) => {
          log.push('f');
          await later();
          if (url.pathname === '/stop-async') endResponse(new Response('stopped later', { status: 409 }));
        },
      },
      { onRequest: ({ request }) => void log.push(`g ${tag(request)}`) },
      ];
  };

  it('hands later hooks the request and handler set earlier, and waits for an async hook', async () => {
    const answer = await same(plugins, '/graphql', HELLO);
    expect(answer.status).toBe(200);
    expect(answer.headers['x-handler']).toBe('wrapped-by-d');
    expect(answer.log).toEqual(['a -', 'c set-by-b replaced', "e sees d's handler", 'f', 'g set-by-b replaced']);
  });

  it('stops at endResponse given a response, sync or after an await, and not at endResponse()', async () => {
    expect((await same(plugins, '/stop')).log).not.toContain('f');
    expect((await same(plugins, '/stop-async')).status).toBe(409);
    expect((await same(plugins, '/stop-async')).log).not.toContain('g set-by-b replaced');
    expect((await same(plugins, '/nothing')).log).toContain('g set-by-b replaced');
  });
});

describe('fuseServerHooks: onRequestParse', () => {
  const plugins: Plugins = (log) => {
    let replaced: unknown;
    return [
      { onRequestParse: ({ requestParser }) => void log.push(`a parser ${typeof requestParser}`) },
      {
        onRequestParse: ({ requestParser, setRequestParser }) => {
          const parse = requestParser!;
          replaced = async (request: Request) => ({ ...(await parse(request)), operationName: 'Replaced' });
          setRequestParser(replaced as typeof parse);
        },
      },
      {
        onRequestParse: async ({ url, endResponse }) => {
          await later();
          if (url.searchParams.has('stop')) endResponse(new Response('no parse', { status: 415 }));
          return {
            onRequestParseDone: ({ requestParserResult, setRequestParserResult }) => {
              log.push(`c done ${JSON.stringify(requestParserResult)}`);
              if (!Array.isArray(requestParserResult)) setRequestParserResult({ query: '{ hello(name: "c") }' });
            },
          };
        },
      },
      {
        onRequestParse: ({ requestParser }) => {
          log.push(`d parser ${requestParser === replaced ? 'replaced' : 'stale'}`);
          return {
            onRequestParseDone: ({ requestParserResult }) => void log.push(`d done ${JSON.stringify(requestParserResult)}`),
          };
        },
      },
      ];
  };

  it('hands later hooks the parser set earlier, and runs every onRequestParseDone in order', async () => {
    const answer = await same(plugins, '/graphql', HELLO);
    expect(answer.body).toBe('{"data":{"hello":"hello c"}}');
    expect(answer.log).toEqual([
      'a parser function',
      'd parser replaced',
      'c done {"query":"{ hello }","operationName":"Replaced"}',
      'd done {"query":"{ hello(name: \\"c\\") }"}',
    ]);
  });

  it('stops at endResponse, even after an await', async () => {
    const answer = await same(plugins, '/graphql?stop', HELLO);
    expect(answer.status).toBe(415);
    expect(answer.log).toEqual(['a parser function']);
  });
});

describe('fuseServerHooks: onParams and onExecutionResult', () => {
  const plugins: Plugins = (log) => [
    { onParams: ({ params, setParams }) => setParams({ ...params, query: params.query === '{ short }' ? '{ hello }' : params.query }) },
    {
      onParams: async ({ params, paramsHandler, setParamsHandler }) => {
        await later();
        log.push(`b ${params.query}`);
        setParamsHandler(async (payload) => {
          log.push('b handler');
          return paramsHandler(payload);
        });
      },
    },
    {
      onParams: ({ params, setResult }) => {
        if (params.query === '{ skip }') setResult({ data: { hello: 'set by c' } });
      },
    },
    {
      onParams: ({ params, paramsHandler, setParamsHandler }) => {
        log.push(`d ${params.query}`);
        setParamsHandler((payload) => {
          log.push('d handler');
          return paramsHandler(payload);
        });
      },
    },
    { onExecutionResult: ({ result, setResult }) => setResult({ ...(result as object), extensions: { by: 'a' } }) },
    {
      onExecutionResult: async ({ result }) => {
        await later();
        log.push(`exec b ${JSON.stringify(result)}`);
      },
    },
  ];

  it('hands later hooks the params and handler set earlier; setResult skips execution but not the later hooks', async () => {
    const short = await same(plugins, '/graphql', post({ query: '{ short }' }));
    expect(short.body).toBe('{"data":{"hello":"hello world"},"extensions":{"by":"a"}}');
    expect(short.log).toEqual(['b { hello }', 'd { hello }', 'd handler', 'b handler', 'exec b {"data":{"hello":"hello world"},"extensions":{"by":"a"}}']);
    const skipped = await same(plugins, '/graphql', post({ query: '{ skip }' }));
    expect(skipped.body).toBe('{"data":{"hello":"set by c"},"extensions":{"by":"a"}}');
    expect(skipped.log).not.toContain('b handler');
  });

  it('runs the hooks once per operation of a batch', async () => {
    const batched = (log: Log) => plugins(log);
    const yogaOptions = { schema, logging: false, maskedErrors: false as const, batching: true };
    const answers = await Promise.all(
      [false, true].map(async (fused) => {
        const log: Log = [];
        const yoga = createYoga({ ...yogaOptions, plugins: fused ? fuseServerHooks(batched(log)) : batched(log) });
        const response = await yoga.fetch('http://portico.test/graphql', post([{ query: '{ short }' }, { query: '{ skip }' }]));
        return { body: await response.text(), log: log.sort() };
      }),
    );
    expect(answers[1]).toEqual(answers[0]);
  });
});

describe('fuseServerHooks: onResultProcess and onResponse', () => {
  const plugins: Plugins = (log) => {
    let plain: unknown;
    return [
      { onResultProcess: ({ result, setResult }) => setResult({ ...(result as object), extensions: { processed: 'a' } }) },
      {
        onResultProcess: async ({ request, result, resultProcessor, setResultProcessor }) => {
          await later();
          log.push(`b ${JSON.stringify(result)} ${typeof resultProcessor}`);
          if (request.headers.get('accept') === 'text/x-plain') {
            plain = (processed: unknown) => new Response(`plain ${JSON.stringify(processed)}`, { headers: { 'content-type': 'text/x-plain' } });
            setResultProcessor(plain as typeof resultProcessor & object, 'text/x-plain');
          }
        },
      },
      { onResultProcess: ({ resultProcessor, acceptableMediaTypes }) => void log.push(`c ${resultProcessor === plain ? 'plain' : 'json'} ${acceptableMediaTypes.length}`) },
      {
        onResponse: ({ response, setResponse }) => {
          setResponse(new Response(response.body, { status: response.status, headers: { ...Object.fromEntries(response.headers), 'x-a': 'set' } }));
        },
      },
      {
        onResponse: async ({ response }) => {
          await later();
          response.headers.set('x-b', `saw ${response.headers.get('x-a')}`);
        },
      },
      { onResponse: ({ response }) => void log.push(`c ${response.headers.get('x-b')}`) },
    ];
  };

  it('hands later hooks the result, processor and response set earlier', async () => {
    const answer = await same(plugins, '/graphql', HELLO);
    expect(answer.headers['x-b']).toBe('saw set');
    expect(answer.body).toBe('{"data":{"hello":"hello world"},"extensions":{"processed":"a"}}');
    const plain = await same(plugins, '/graphql', post({ query: '{ hello }' }, { accept: 'text/x-plain' }));
    expect(plain.body).toBe('plain {"data":{"hello":"hello world"},"extensions":{"processed":"a"}}');
    expect(plain.log).toContain('c plain 4');
  });
});

describe('fuseServerHooks: a hook that throws or rejects', () => {
  const failing = (name: (typeof FUSED_HOOKS)[number], async: boolean, error: () => unknown): Plugins => (log) => [
    { [name]: () => void log.push('before') },
    { [name]: async ? async () => { await later(); throw error(); } : () => { throw error(); } },
    { [name]: () => void log.push('after') },
  ];
  const errors = {
    coded: () => new GraphQLError('refused', { extensions: { code: 'REFUSED', http: { status: 403, headers: { 'x-why': 'coded' } } } }),
    plain: () => new Error('unexpected'),
  };

  for (const name of FUSED_HOOKS) {
    for (const async of [false, true]) {
      for (const [kind, error] of Object.entries(errors)) {
        it(`answers alike when a ${async ? 'rejecting' : 'throwing'} ${name} hook fails with a ${kind} error`, async () => {
          const answer = await same(failing(name, async, error), '/graphql', HELLO);
          expect(answer.log).not.toContain('after');
          expect(answer.status).not.toBe(200);
        });
      }
    }
  }
});

describe('fuseServerHooks: the list yoga is handed', () => {
  it('keeps every other key on its plugin, in place, and passes a plugin without request hooks as itself', () => {
    const onExecute = () => {};
    const instrumentation = { request: () => {} };
    const plain: Plugin = { onExecute };
    const mixed: Plugin = { onRequest: () => {}, onResponse: () => {}, onExecute, instrumentation };
    const [fused, first, second, ...rest] = fuseServerHooks([plain, mixed]);
    expect(rest).toEqual([]);
    expect(first).toBe(plain);
    expect(second).not.toBe(mixed);
    expect(second!.onExecute).toBe(onExecute);
    expect(second!.instrumentation).toBe(instrumentation);
    expect(second!.onRequest).toBeUndefined();
    expect(second!.onResponse).toBeUndefined();
    // one plugin's hook needs no loop: the fused plugin hands it over as it is
    expect(fused!.onRequest).toBe(mixed.onRequest);
    expect(fused!.onParams).toBeUndefined();
  });

  it('stays synchronous while the hooks return no promise', () => {
    const log: Log = [];
    const [fused] = fuseServerHooks([{ onParams: () => void log.push('a') }, { onParams: (() => ({ not: 'a promise' })) as () => void }, { onParams: () => void log.push('c') }]);
    const returned = fused!.onParams!({ params: {}, setParams() {}, setParamsHandler() {} } as never);
    expect(returned).toBeUndefined();
    expect(log).toEqual(['a', 'c']);
  });

  it("fuses the hooks of plugins added by onPluginInit where envelop puts them: right after the one that added them", async () => {
    const plugins: Plugins = (log) => [
      {
        onPluginInit: ({ addPlugin }) => {
          addPlugin({
            onPluginInit: ({ addPlugin: addNested }) => addNested({ onRequest: () => void log.push('nested') }),
            onRequest: () => void log.push('added'),
          });
          addPlugin({ onRequest: () => void log.push('added second') });
        },
        onRequest: () => void log.push('adder'),
      },
      { onRequest: () => void log.push('next') },
    ];
    expect((await same(plugins, '/graphql', HELLO)).log).toEqual(['adder', 'added', 'nested', 'added second', 'next']);
  });

  it('answers alike over real HTTP', async () => {
    const plugins: Plugins = (log) => [
      { onRequest: ({ request }) => void log.push(request.method) },
      { onRequestParse: () => ({ onRequestParseDone: ({ requestParserResult }) => void log.push(JSON.stringify(requestParserResult)) }) },
      { onResponse: ({ response }) => response.headers.set('x-served', 'yes') },
      { onResponse: ({ response }) => void log.push(String(response.status)) },
    ];
    const answers = await Promise.all(
      [false, true].map(async (fused) => {
        const log: Log = [];
        const yoga = createYoga({ schema, logging: false, plugins: fused ? fuseServerHooks(plugins(log)) : plugins(log) });
        const server = createServer(yoga);
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        try {
          const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, HELLO);
          return { status: response.status, served: response.headers.get('x-served'), body: await response.text(), log };
        } finally {
          await new Promise((resolve) => server.close(resolve));
        }
      }),
    );
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[1]).toEqual({ status: 200, served: 'yes', body: '{"data":{"hello":"hello world"}}', log: ['POST', '{"query":"{ hello }"}', '200'] });
  });
});
