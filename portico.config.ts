// The root config: where the sources registry is and which BFFs run. `portico start` reads this
// file unless given `--config`. Each file below is validated on its own at start-up.
import { defineRoot } from './src/config/defineConfig.js';

export default defineRoot({
  sources: './schemas/sources.ts',
  bffs: ['./bffs/web', './bffs/mobile', './bffs/partner'],
});
