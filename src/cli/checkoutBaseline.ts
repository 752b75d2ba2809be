import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** `--against` names neither a folder nor a git revision. */
export class BaselineError extends Error {
  override readonly name = 'BaselineError';
}

export interface Baseline {
  /** The baseline's root config file. */
  configFile: string;
  /** Removes the checkout, if one was made. */
  dispose(): Promise<void>;
}

/**
 * The config `portico check` compares against: a folder holding a copy of the config (the same
 * root config file name, at the same place relative to the working directory), or a git
 * revision, whose tree is exported with `git archive` into a temporary folder. The export gets
 * the working tree's node_modules linked in, so its config modules import what they import here.
 */
export async function checkoutBaseline(against: string, configFile: string): Promise<Baseline> {
  const folder = await stat(against).catch(() => undefined);
  const cwd = process.cwd();
  if (folder?.isDirectory()) {
    const relative = path.relative(cwd, configFile);
    const inside = relative && !relative.startsWith('..') ? relative : path.basename(configFile);
    return { configFile: path.resolve(against, inside), dispose: () => Promise.resolve() };
  }
  if (folder?.isFile()) return { configFile: path.resolve(against), dispose: () => Promise.resolve() };

  const configDir = path.dirname(configFile);
  let top: string;
  try {
    top = (await run('git', ['rev-parse', '--show-toplevel'], { cwd: configDir })).stdout.trim();
    await run('git', ['rev-parse', '--verify', '--quiet', `${against}^{commit}`], { cwd: top });
  } catch {
    throw new BaselineError(`--against ${against}: not a folder, and not a git revision of the repository holding ${configFile}`);
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'portico-check-'));
  const dispose = () => rm(dir, { recursive: true, force: true });
  try {
    const archive = path.join(dir, 'baseline.tar');
    await run('git', ['archive', '--format=tar', '-o', archive, against], { cwd: top, maxBuffer: 1 << 20 });
    await run('tar', ['-xf', archive, '-C', dir]);
    await rm(archive);
    const modules = path.join(top, 'node_modules');
    if (await stat(modules).catch(() => undefined)) await symlink(modules, path.join(dir, 'node_modules'), 'dir');
  } catch (error) {
    await dispose();
    throw error;
  }
  return { configFile: path.join(dir, path.relative(top, configFile)), dispose };
}
