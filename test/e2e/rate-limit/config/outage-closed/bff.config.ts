import { defineBff } from '../../../../../src/config/defineConfig.js';
import { limitedBff } from '../limitedBff.js';

// 3 points a day for the whole BFF, failing closed: refused with 503 while Redis cannot answer.
export default defineBff((env) => {
  const base = limitedBff({ ...env, GLOBAL_LIMIT: '3' }, { name: 'outage-closed' });
  return { ...base, rateLimit: { ...base.rateLimit!, failMode: 'closed' } };
});
