import { defineBff } from '../../../src/config/defineConfig.js';
import { benchBff } from '../benchBff.js';

export default defineBff(() => benchBff('bench-failing', 'users-failing'));
