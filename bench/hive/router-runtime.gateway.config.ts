// Hive Gateway with the Rust query planner: `@graphql-hive/router-runtime` (Hive Router's planner
// as a native addon, with its purpose-built executor) as the gateway's unified-graph handler, the
// configuration the Hive Gateway docs give ("Rust Query Planner"). Imported here rather than
// switched on with --hive-router-runtime, which falls back to the default runtime with only a log
// line when the package cannot be loaded: a missing package must fail the bench instead.
import { defineConfig } from '@graphql-hive/gateway';
import { unifiedGraphHandler } from '@graphql-hive/router-runtime';

export const gatewayConfig = defineConfig({ unifiedGraphHandler });
