import { defineRoot } from '../../../src/config/defineConfig.js';

export default defineRoot({
  sources: './sources.ts',
  bffs: ['../../../bffs/web'],
  admin: { port: 0 },
});
