import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { importTypeScript } from '../../src/config/importTypeScript.js';

describe('importTypeScript (a .ts config under the compiled gateway)', () => {
  const initial = process.sourceMapsEnabled;
  afterEach(() => process.setSourceMapsEnabled(initial));

  async function tsModule(source: string): Promise<string> {
    const dir = await mkdtemp(path.join(tmpdir(), 'portico-import-ts-'));
    // An ES module, as a config in a `"type": "module"` project is.
    await writeFile(path.join(dir, 'package.json'), '{ "type": "module" }\n');
    const file = path.join(dir, 'config.ts');
    await writeFile(file, source);
    return pathToFileURL(file).href;
  }

  it('imports the module and leaves source maps off when they were off (tsx would turn them on for good)', async () => {
    process.setSourceMapsEnabled(false);
    const mod = (await importTypeScript(await tsModule('const answer: number = 42;\nexport default { answer };\n'), import.meta.url)) as { default: { answer: number } };
    expect(mod.default.answer).toBe(42);
    expect(process.sourceMapsEnabled).toBe(false);
  });

  it('keeps them on for an operator who asked for them (--enable-source-maps)', async () => {
    process.setSourceMapsEnabled(true);
    await importTypeScript(await tsModule('export default 1 as number;\n'), import.meta.url);
    expect(process.sourceMapsEnabled).toBe(true);
  });

  it('restores the setting when the module fails to load', async () => {
    process.setSourceMapsEnabled(false);
    await expect(importTypeScript(await tsModule('throw new Error("broken config");\n'), import.meta.url)).rejects.toThrow('broken config');
    expect(process.sourceMapsEnabled).toBe(false);
  });
});
