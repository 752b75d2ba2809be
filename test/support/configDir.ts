import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

// Not imported from portico.ts, which imports vitest: bench scripts write configs with this too.
const repoRoot = path.resolve(import.meta.dirname, '../..');

export interface ConfigDir {
  dir: string;
  /** The root config: the repository's sources registry and the one BFF, `app`. */
  rootFile: string;
  bffFile: string;
  /** Rewrites `bffs/app/bff.config.ts` as the base BFF with `extra` keys merged over it. */
  writeBff(extra?: Record<string, unknown>): Promise<void>;
  /** Rewrites `bffs/app/bff.config.ts` with any text, broken configs included. */
  writeRaw(text: string): Promise<void>;
}

export interface ConfigDirOptions {
  /** Names the temporary folder, e.g. 'fleet'. */
  name: string;
  /** Root config keys besides `sources` and `bffs` (admin, redis, shutdown, reload, …). */
  root?: Record<string, unknown>;
  /** The BFF `app` as first written; `writeBff` merges over it. */
  bff: Record<string, unknown>;
}

/**
 * A config folder in the shape operators deploy: a root file pointing at the repository's
 * sources registry and one BFF, `app`, whose file the test may rewrite (reloads, broken configs).
 */
export async function writeConfigDir(options: ConfigDirOptions): Promise<ConfigDir> {
  const dir = await mkdtemp(path.join(tmpdir(), `portico-${options.name}-`));
  await mkdir(path.join(dir, 'bffs', 'app'), { recursive: true });
  const rootFile = path.join(dir, 'portico.config.ts');
  const bffFile = path.join(dir, 'bffs', 'app', 'bff.config.ts');
  const root = { sources: path.join(repoRoot, 'schemas/sources.ts'), bffs: ['./bffs/app'], ...options.root };
  await writeFile(rootFile, `export default ${JSON.stringify(root)};\n`);
  const writeRaw = (text: string) => writeFile(bffFile, text);
  const writeBff = (extra: Record<string, unknown> = {}) =>
    writeRaw(`export default ${JSON.stringify({ ...options.bff, ...extra })};\n`);
  await writeBff();
  return { dir, rootFile, bffFile, writeBff, writeRaw };
}

/** The BFF `app` over the users source, accepting HS256 tokens signed with `secret`. */
export function hs256App(secret: string, issuer: string): Record<string, unknown> {
  return {
    name: 'app',
    port: 0,
    sources: ['users'],
    auth: { jwt: { keys: [{ alg: 'HS256', secret }], algorithms: ['HS256'], issuer, audience: 'app' } },
  };
}
