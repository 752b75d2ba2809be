// The auth-order scenario: the repository's sources and a web-like BFF with a rate limit, so a
// test can show that refused requests were never charged to it.
import { defineRoot } from '../../../../src/config/defineConfig.js';

export default defineRoot({
  sources: '../../../../schemas/sources.ts',
  bffs: ['./web'],
});
