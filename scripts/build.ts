// `npm run build`: compiles src/ to dist/ (same depth, so paths relative to a module, such as
// the demo's `../../subgraphs/run.ts`, resolve alike) and copies the files tsc does not emit.
import { cpSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

rmSync('dist', { recursive: true, force: true });
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
cpSync('src/runtime/console/assets', 'dist/runtime/console/assets', { recursive: true });
