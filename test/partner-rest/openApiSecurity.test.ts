import { buildSchema } from 'graphql';
import { describe, expect, it } from 'vitest';
import { buildOpenApi, type OpenApiSecurity } from '../../src/partner-rest/buildOpenApi.js';

// The credentials a partner's OpenAPI document announces follow auth.partnerCredentials.
const schema = buildSchema('type Query { ping: String }');
const securityOf = (security: OpenApiSecurity) => {
  const doc = buildOpenApi([], { schema, title: 'Partner API', version: 'v1', security }) as { security?: unknown; components: { securitySchemes?: Record<string, { type: string }> } };
  return { requirements: doc.security, schemes: Object.fromEntries(Object.entries(doc.components.securitySchemes ?? {}).map(([name, scheme]) => [name, scheme.type])) };
};

describe('partner credentials in the OpenAPI document', () => {
  it("announces a client certificate as an alternative ('certificate', 'either')", () => {
    expect(securityOf({ bearer: false, apiKeyHeader: 'x-api-key', anonymous: false, mutualTls: 'alone' })).toEqual({
      requirements: [{ apiKeyAuth: [] }, { mutualTLS: [] }],
      schemes: { apiKeyAuth: 'apiKey', mutualTLS: 'mutualTLS' },
    });
  });

  it("announces a client certificate and an API key as one requirement ('both')", () => {
    expect(securityOf({ bearer: true, apiKeyHeader: 'x-api-key', anonymous: true, mutualTls: 'withApiKey' })).toEqual({
      requirements: [{ bearerAuth: [] }, { mutualTLS: [], apiKeyAuth: [] }, {}],
      schemes: { bearerAuth: 'http', apiKeyAuth: 'apiKey', mutualTLS: 'mutualTLS' },
    });
  });

  it('announces no certificate where none is accepted', () => {
    expect(securityOf({ bearer: false, apiKeyHeader: 'x-api-key', anonymous: false }).schemes).toEqual({ apiKeyAuth: 'apiKey' });
  });
});
