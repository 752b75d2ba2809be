import { defineBff } from '../../../../src/config/defineConfig.js';
import { headersBff } from '../bffHeaders.js';

export default defineBff(() => headersBff('web', 'plan'));
