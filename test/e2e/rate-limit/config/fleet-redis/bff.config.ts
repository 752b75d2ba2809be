import { defineBff } from '../../../../../src/config/defineConfig.js';
import { limitedBff } from '../limitedBff.js';

// Buckets in the Redis all instances share.
export default defineBff((env) => {
  const base = limitedBff(env, { name: 'fleet-redis' });
  return { ...base, rateLimit: { ...base.rateLimit!, store: 'redis' } };
});
