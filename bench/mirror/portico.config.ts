// The mirroring benchmark's deployment (bench/mirror.ts): six BFFs identical but for their
// source (plain; versions with mirroring off; mirroring to a healthy, hanging, failing or
// resetting shadow), served by one gateway process so every mode meets the same machine.
import { defineRoot } from '../../src/config/defineConfig.js';

export default defineRoot(() => ({
  sources: './sources.ts',
  bffs: ['./plain', './off', './healthy', './hanging', './failing', './down'],
  // /metrics on loopback: the bench reads what the copies did (portico_mirror_requests_total).
  admin: { port: 0 },
}));
