import { register } from 'prom-client';
import { beforeAll } from 'vitest';
import { resetConsoleFeed } from '../../src/observability/console/consoleFeed.js';
import { resetRequestMetrics } from '../../src/observability/requestMetrics.js';

// Test files share worker processes (vitest.config.ts: isolate false, which saves each file
// re-importing graphql-tools, yoga and the rest). What a process keeps for its whole life is
// started afresh for each file, as a new gateway process would: metric values and label sets of
// the default registry (the series stay registered, since modules keep references to them) and
// the budgets of operation names and client labels, and the operator console's feed.
beforeAll(() => {
  register.resetMetrics();
  resetRequestMetrics();
  resetConsoleFeed();
});
