// The header-rules scenario (docs/headers.md): the demo sources with header rules and claims of
// their own (./sources.ts), one BFF per engine with the same BFF-wide rules, /metrics on a free
// port and a small client-label budget, so the tests can watch what reaches each real subgraph.
import { defineRoot } from '../../../src/config/defineConfig.js';

export default defineRoot({
  sources: './sources.ts',
  bffs: ['./web', './stitch', './cached'],
  admin: { port: 0 },
  // One configured client name, one more learned, one version each: small enough to fill in a test.
  metrics: { clients: { names: ['ios'], maxLearned: 1, maxVersions: 1 } },
});
