// The bench federation as a Portico source: the four bench subgraphs, composed at start-up, at
// the URLs the bench started them on.
import { defineSources } from '../../src/config/defineConfig.js';
import { BENCH_SUBGRAPHS } from '../subgraphs/schemas.js';

export default defineSources((env) => ({
  bench: {
    kind: 'federation',
    subgraphs: BENCH_SUBGRAPHS.map((name) => ({
      name,
      url: env[`BENCH_${name.toUpperCase()}_URL`] ?? `http://127.0.0.1:9/${name}`,
      schema: `../subgraphs/${name}.graphql`,
    })),
  },
}));
