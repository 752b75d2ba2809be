// The repository's three BFFs with `cost.exposeInExtensions` on, so a test reads each documented
// query's cost from the response (test/plugins/cost/documentedCosts.test.ts).
import { defineRoot } from '../../../../src/config/defineConfig.js';

export default defineRoot({ sources: '../../../../schemas/sources.ts', bffs: ['./web', './mobile', './partner'] });
