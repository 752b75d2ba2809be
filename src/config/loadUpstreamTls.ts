import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { createSecureContext } from 'node:tls';
import { caBundleProblem } from './caBundleProblem.js';
import { ConfigError, displayPath } from './configError.js';
import type { UpstreamTlsConfig, UpstreamTlsMaterial } from './upstreamTlsSchema.js';

/**
 * Reads a source's `tls` files (paths relative to the sources file) and checks them the way a
 * connection would use them, so a bad file stops start-up (or is refused by a reload) with the
 * file and the key named, instead of failing every call to the source later:
 * `sources.ts: orders.tls.caFile: cannot read certs/orders-ca.pem (ENOENT)`.
 */
export async function loadUpstreamTls(source: string, tls: UpstreamTlsConfig, file: string): Promise<UpstreamTlsMaterial> {
  const dir = path.dirname(file);
  const fail = (key: string, problem: string) => new ConfigError(displayPath(file), `${source}.tls${key ? `.${key}` : ''}`, problem);
  const read = async (key: 'caFile' | 'certFile' | 'keyFile', relative: string) => {
    const absolute = path.resolve(dir, relative);
    try {
      return await readFile(absolute, 'utf8');
    } catch (error) {
      throw fail(key, `cannot read ${displayPath(absolute)} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  };
  const material: UpstreamTlsMaterial = { http2: tls.http2 };
  if (tls.caFile !== undefined) {
    const ca = await read('caFile', tls.caFile);
    const problem = caBundleProblem(ca);
    if (problem !== undefined) throw fail('caFile', `${tls.caFile} ${problem}`);
    material.ca = ca;
  }
  if (tls.certFile !== undefined && tls.keyFile !== undefined) {
    material.cert = await read('certFile', tls.certFile);
    material.key = await read('keyFile', tls.keyFile);
    try {
      createSecureContext({ cert: material.cert, key: material.key });
    } catch (error) {
      throw fail('', `"certFile" and "keyFile" do not form a usable pair: ${(error as Error).message}`);
    }
  }
  return material;
}

/** The absolute paths of a source's `tls` files, for the reload file watch (`reload.watch`). */
export function upstreamTlsFiles(tls: UpstreamTlsConfig, file: string): string[] {
  const dir = path.dirname(file);
  return [tls.caFile, tls.certFile, tls.keyFile].flatMap((relative) => (relative === undefined ? [] : [path.resolve(dir, relative)]));
}
