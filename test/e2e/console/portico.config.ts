import { defineRoot } from '../../../src/config/defineConfig.js';

// The demo's three BFFs (bffs/web, mobile, partner) over the demo sources; only the inventory
// breaker reacts faster (sources.ts), so the console test sees it open and close again within
// seconds rather than the demo's ten-second window and reset.
export default defineRoot((env) => ({
  sources: './sources.ts',
  bffs: ['../../../bffs/web', '../../../bffs/mobile', '../../../bffs/partner'],
  admin: { port: Number(env.ADMIN_PORT ?? 0) },
}));
