import { defineRoot } from '../../../src/config/defineConfig.js';

// The demo's three BFFs (bffs/web, mobile, partner) over the demo sources; only the inventory
// breaker's reset timeout is shorter (sources.ts), so the console test sees it close again
// within seconds rather than the demo's ten.
export default defineRoot((env) => ({
  sources: './sources.ts',
  bffs: ['../../../bffs/web', '../../../bffs/mobile', '../../../bffs/partner'],
  admin: { port: Number(env.ADMIN_PORT ?? 0) },
}));
