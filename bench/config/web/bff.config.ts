import webBff from '../../../bffs/web/bff.config.js';
import { defineBff } from '../../../src/config/defineConfig.js';
import type { BffConfigInput } from '../../../src/config/schema.js';
import { benchBffPolicies } from '../benchPolicies.js';

// The web BFF as the demo configures it (sources, resolvers, CORS, uploads), on the bench's port,
// with the bench's policies in place of the demo's: JWT from the bench IdP for the bench
// audience, the cost limit, field authorization, and the Redis rate limit with limits no run
// reaches (the demo plan's 200 points a minute would refuse the load after a few requests).
export default defineBff((env) => {
  const web = (typeof webBff === 'function' ? webBff(env) : webBff) as BffConfigInput;
  return {
    ...web,
    port: Number(env.BENCH_PORT ?? 0),
    resolvers: '../../../bffs/web/resolvers.ts',
    ...benchBffPolicies(env).config,
  } as BffConfigInput;
});
