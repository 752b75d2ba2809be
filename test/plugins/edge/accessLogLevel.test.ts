import { createSchema, createYoga } from 'graphql-yoga';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ANONYMOUS } from '../../../src/context/principal.js';
import type { RequestScope } from '../../../src/context/requestScope.js';
import { useAccessLog } from '../../../src/plugins/edge/useAccessLog.js';

// The access log writes at info. Below it (LOG_LEVEL=warn, as the benchmarks run) it must cost
// nothing per request: no line, and no observer on the request's upstream calls.

const schema = createSchema<{ portico: RequestScope }>({ typeDefs: 'type Query { hello: String }', resolvers: { Query: { hello: () => 'world' } } });

async function serve(level: string): Promise<{ lines: string[]; scope: RequestScope }> {
  const lines: string[] = [];
  const logger = pino({ level }, { write: (line: string) => void lines.push(line) });
  const yoga = createYoga<{ portico: RequestScope }>({ schema, logging: false, plugins: [useAccessLog({ logger, bff: 'web' })] });
  const scope: RequestScope = { requestId: 'r1', principal: ANONYMOUS, upstreamHeaders: {}, signal: new AbortController().signal, clientCertificate: undefined, requestHeaders: {} };
  const response = await yoga.fetch('http://web.test/graphql', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ hello }' }) }, { portico: scope });
  await response.text();
  return { lines, scope };
}

describe('the access log below its level', () => {
  it('writes a line and watches upstream calls at info', async () => {
    const { lines, scope } = await serve('info');
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ msg: 'request', requestId: 'r1', status: 200 });
    expect(scope.upstreamObservers).toHaveLength(1);
  });

  it('writes nothing and watches nothing at warn', async () => {
    const { lines, scope } = await serve('warn');
    expect(lines).toEqual([]);
    expect(scope.upstreamObservers).toBeUndefined();
  });
});
