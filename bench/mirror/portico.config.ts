// The mirroring benchmark's deployment (bench/mirror.ts): two BFFs identical but for their source,
// `users` plain or `users-mirrored` copying every read to a shadow, served by one gateway process
// so both meet the same machine.
import { defineRoot } from '../../src/config/defineConfig.js';

export default defineRoot(() => ({
  sources: './sources.ts',
  bffs: ['./plain', './mirrored'],
}));
