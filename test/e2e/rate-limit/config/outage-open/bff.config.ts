import { defineBff } from '../../../../../src/config/defineConfig.js';
import { limitedBff } from '../limitedBff.js';

// 3 points a day for the whole BFF, failing open: a local limiter takes over while Redis cannot answer.
export default defineBff((env) => limitedBff({ ...env, GLOBAL_LIMIT: '3' }, { name: 'outage-open' }));
