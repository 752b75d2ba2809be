import { defineBff } from '../../../../../src/config/defineConfig.js';
import { limitedBff } from '../limitedBff.js';

// Buckets in each instance's memory.
export default defineBff((env) => {
  const base = limitedBff(env, { name: 'fleet-memory' });
  return { ...base, rateLimit: { ...base.rateLimit!, store: 'memory' } };
});
