import type { Logger } from 'pino';
import type { Plugin } from 'graphql-yoga';
import type { LoadedBff } from '../config/loadConfig.js';
import { useRequestId } from '../server/requestId.js';
import { useParamsCheck } from '../server/useParamsCheck.js';
import { useAccessLog } from '../server/useAccessLog.js';
import { useProductionMode } from '../plugins/limits/useProductionMode.js';

export interface PipelineDeps {
  logger: Logger;
}

/**
 * The BFF's request path, written once, in the order a request meets it. Array position only
 * orders plugins within one phase (yoga runs onRequest → onParams → parse → validate → context →
 * execute → result); each plugin's hooks decide its phase, and the list follows that order.
 */
export function buildPipeline(bff: LoadedBff, deps: PipelineDeps): Plugin[] {
  const plugins: (Plugin | false)[] = [
    // ① HTTP edge
    useRequestId(),
    useParamsCheck(),
    useAccessLog({ logger: deps.logger, bff: bff.name }),
    // ② validate
    bff.production && useProductionMode(),
  ];
  return plugins.filter((plugin): plugin is Plugin => plugin !== false);
}
