import { defineBff } from '../../../../src/config/defineConfig.js';
import { headersBff } from '../bffHeaders.js';

// The same rules with the whole-response cache on: its Cache-Control joins the merge, and its
// entries are keyed by the forwarded header values.
export default defineBff(() => ({ ...headersBff('cached', 'plan'), responseCache: { enabled: true } }));
