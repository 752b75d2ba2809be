// The root config: where the sources registry is and which BFFs run. `portico start` reads this
// file unless given `--config`. Each file below is validated on its own at start-up.
import { defineRoot } from './src/config/defineConfig.js';

export default defineRoot((env) => ({
  sources: './schemas/sources.ts',
  bffs: ['./bffs/web', './bffs/mobile', './bffs/partner'],
  // Prometheus /metrics and breaker states for the operator, apart from the BFF ports. POST
  // /admin/* needs `Authorization: Bearer $PORTICO_ADMIN_TOKEN`; `portico demo` makes one up and
  // prints it when the variable is not set.
  admin: { port: Number(env.ADMIN_PORT ?? 9400), token: { env: 'PORTICO_ADMIN_TOKEN' } },
}));
