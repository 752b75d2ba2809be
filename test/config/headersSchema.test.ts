import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { bffHeadersSchema, sourceHeadersSchema } from '../../src/config/headersSchema.js';
import { loadConfig } from '../../src/config/loadConfig.js';
import { repoRoot } from '../support/portico.js';

const firstIssue = (schema: typeof bffHeadersSchema | typeof sourceHeadersSchema, value: unknown) => {
  const result = schema.safeParse(value);
  return result.success ? undefined : `${result.error.issues[0]!.path.join('.')}: ${result.error.issues[0]!.message}`;
};

describe('the header rules config', () => {
  it('forwards nothing and merges nothing unless told to', () => {
    expect(bffHeadersSchema.parse(undefined)).toEqual({ request: [], response: [], cacheControl: { merge: false, whenAbsent: 'no-store' } });
    expect(sourceHeadersSchema.parse(undefined)).toEqual({ request: [], response: [] });
  });

  it('takes every rule form, defaulting response merges to append', () => {
    const parsed = bffHeadersSchema.parse({
      request: [{ propagate: 'accept-language', rename: 'x-locale', default: 'en' }, { propagate: { matching: '^x-feature-' } }, { set: 'x-bff', value: 'web' }, { remove: 'x-bff' }, { propagate: 'authorization' }],
      response: [{ propagate: 'x-version' }, { propagate: { matching: '^x-shared-' }, merge: 'first' }],
      cacheControl: { merge: true },
    });
    expect(parsed.response).toEqual([{ propagate: 'x-version', merge: 'append' }, { propagate: { matching: '^x-shared-' }, merge: 'first' }]);
  });

  it.each([
    [{ request: [{ propagate: 'connection' }] }, 'request.0.propagate: "connection" is a hop-by-hop header'],
    [{ request: [{ propagate: 'te' }] }, 'request.0.propagate: "te" is a hop-by-hop header'],
    [{ request: [{ propagate: 'proxy-authorization' }] }, 'request.0.propagate: "proxy-authorization" is a hop-by-hop header'],
    [{ request: [{ propagate: 'x-locale', rename: 'x-portico-subject' }] }, 'request.0.rename: "x-portico-subject" is written by the gateway itself'],
    [{ request: [{ set: 'x-request-id', value: '1' }] }, 'request.0.set: "x-request-id" is written by the gateway itself'],
    [{ request: [{ set: 'x-bff', value: 'a\r\nx-injected: 1' }] }, 'request.0.value: a header value cannot contain CR, LF or NUL'],
    [{ request: [{ propagate: 'Accept-Language' }] }, 'request.0.propagate: "Accept-Language" is not a lower-case HTTP header name'],
    [{ request: [{ propagate: { matching: '(' } }] }, 'request.0.propagate.matching: not a regular expression'],
    [{ response: [{ propagate: 'cache-control' }] }, 'response.0.propagate: "cache-control" is decided by the Cache-Control merge'],
    [{ response: [{ propagate: 'access-control-allow-origin' }] }, 'response.0.propagate: "access-control-allow-origin" is decided by the gateway'],
    [{ response: [{ propagate: 'transfer-encoding' }] }, 'response.0.propagate: "transfer-encoding" is a hop-by-hop header'],
    [{ request: [{ propagate: 'x-a', unknown: 1 }] }, 'request.0'],
  ])('refuses %j', (value, message) => {
    expect(firstIssue(bffHeadersSchema, value)).toContain(message);
  });

  it('stops start-up on a bad rule, naming the file and the key', async () => {
    await expect(loadConfig(path.join(repoRoot, 'test/config/fixtures/bad-header-rules/portico.config.ts'), {})).rejects.toThrow(
      /bff\.config\.ts: headers\.request\[1\]\.propagate: "transfer-encoding" is a hop-by-hop header/,
    );
  });
});
