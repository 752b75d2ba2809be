import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A throwaway certificate authority made with the openssl CLI, issuing certificates for
 * 127.0.0.1/localhost (servers) or a named client (mTLS). Real X.509, real keys: what a
 * deployment's PKI hands the gateway.
 */
export interface TestCa {
  dir: string;
  caFile: string;
  caPem: string;
  /** Issues a server certificate; writes `<name>.crt` and `<name>.key` in `dir` (over old ones). */
  issue(name: string, options?: IssueOptions): { certFile: string; keyFile: string };
  dispose(): void;
}

export interface IssueOptions {
  commonName?: string;
  /** A client certificate (extendedKeyUsage clientAuth) rather than a server one. */
  client?: boolean;
  /** Further subject attributes, e.g. `/O=Acme Corp`, placed before the CN. */
  subject?: string;
  /** subjectAltName entries of a client certificate, e.g. `URI:spiffe://acme/gw`. */
  san?: string[];
  /** Validity; -1 makes a certificate that expired as it was issued. @default 2 */
  days?: number;
}

export function createTestCa(): TestCa {
  const dir = mkdtempSync(path.join(tmpdir(), 'portico-ca-'));
  const run = (args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  run(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=Portico Test CA', '-keyout', 'ca.key', '-out', 'ca.crt']);
  const caFile = path.join(dir, 'ca.crt');
  let serial = 1;
  return {
    dir,
    caFile,
    caPem: readFileSync(caFile, 'utf8'),
    issue(name, options = {}) {
      const cn = options.commonName ?? 'localhost';
      const ext = options.client
        ? `extendedKeyUsage=clientAuth\n${options.san ? `subjectAltName=${options.san.join(',')}\n` : ''}`
        : 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n';
      writeFileSync(path.join(dir, `${name}.ext`), ext);
      // Written beside, then renamed over: how rotation tools replace a live certificate.
      run(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-subj', `${options.subject ?? ''}/CN=${cn}`, '-keyout', `${name}.key.new`, '-out', `${name}.csr`]);
      run(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', String(serial++), '-days', String(options.days ?? 2), '-extfile', `${name}.ext`, '-out', `${name}.crt.new`]);
      renameSync(path.join(dir, `${name}.key.new`), path.join(dir, `${name}.key`));
      renameSync(path.join(dir, `${name}.crt.new`), path.join(dir, `${name}.crt`));
      return { certFile: path.join(dir, `${name}.crt`), keyFile: path.join(dir, `${name}.key`) };
    },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
