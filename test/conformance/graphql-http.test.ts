import { serverAudits } from 'graphql-http';
import { describe, expect, it } from 'vitest';
import { useDemoGateway } from '../support/portico.js';

// One test per audit and per BFF, so a regression names the exact rule of the
// GraphQL-over-HTTP spec that broke. The audits only need the BFFs up, not real data.
const demo = useDemoGateway();

// The partner BFF runs in production mode, which refuses introspection; these audits query
// `__type`, so there they must fail (and would flag it if introspection ever came back).
const refusedInProduction = /allow (map|URL-encoded JSON string) \{variables\}/;

const preflighted: typeof fetch = (input, init) => {
  const headers = new Headers(init?.headers);
  headers.set('graphql-require-preflight', '1');
  return fetch(input, { ...init, headers });
};

for (const bff of ['web', 'mobile', 'partner']) {
  describe(`the ${bff} BFF`, () => {
    // The URL is only known once started; audits read it lazily through this getter.
    // A GET query runs only with a CSRF preflight header (docs/security.md), which every request
    // here carries, as a browser client's would after its preflight.
    const audits = serverAudits({ url: () => demo.portico.bff(bff).url, fetchFn: preflighted });
    for (const audit of audits) {
      it(audit.name, async () => {
        const result = await audit.fn();
        if (bff === 'partner' && refusedInProduction.test(audit.name)) {
          expect(result.status).not.toBe('ok');
          return;
        }
        expect(result.status === 'ok' ? 'ok' : `${result.status}: ${result.reason}`).toBe('ok');
      });
    }
  });
}
