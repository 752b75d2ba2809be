import { defineBff } from '../../../../../src/config/defineConfig.js';
import { limitedBff } from '../limitedBff.js';

export default defineBff((env) => limitedBff(env, { name: 'limited' }));
