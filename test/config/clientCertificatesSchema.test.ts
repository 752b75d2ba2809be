import { rm } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { authSchema } from '../../src/config/authSchema.js';
import { ConfigError } from '../../src/config/configError.js';
import { loadConfig } from '../../src/config/loadConfig.js';
import { writeConfigDir } from '../support/configDir.js';

const partner = { id: 'acme', subject: { CN: 'acme-gateway' }, tenant: 't1', plan: 'pro' };
const keys = { enabled: true, keys: [{ id: 'acme-key', hash: 'a'.repeat(64), tenant: 't1', plan: 'pro' }] };
const firstIssue = (value: unknown) => {
  const result = authSchema.safeParse(value);
  return result.success ? undefined : `${result.error.issues[0]!.path.join('.')}: ${result.error.issues[0]!.message}`;
};

describe('auth.clientCertificates and auth.partnerCredentials', () => {
  it("defaults to API keys only, and takes each of 'certificate', 'either' and 'both' with its prerequisites", () => {
    expect(authSchema.parse({}).partnerCredentials).toBe('apiKey');
    expect(firstIssue({ clientCertificates: { partners: [partner] }, partnerCredentials: 'certificate' })).toBeUndefined();
    expect(firstIssue({ clientCertificates: { partners: [partner] }, partnerCredentials: 'either', apiKeys: keys })).toBeUndefined();
    expect(firstIssue({ clientCertificates: { partners: [partner] }, partnerCredentials: 'both', apiKeys: keys })).toBeUndefined();
  });

  it('refuses combinations that could not work, naming the key', () => {
    expect(firstIssue({ clientCertificates: { partners: [partner] } })).toMatch(/^partnerCredentials: is "apiKey", so "clientCertificates" would never be used/);
    expect(firstIssue({ partnerCredentials: 'certificate' })).toMatch(/^clientCertificates: "partnerCredentials: certificate" needs/);
    expect(firstIssue({ clientCertificates: { partners: [partner] }, partnerCredentials: 'certificate', apiKeys: keys })).toMatch(/^partnerCredentials: is "certificate", which refuses API keys/);
    expect(firstIssue({ clientCertificates: { partners: [partner] }, partnerCredentials: 'both' })).toMatch(/^apiKeys.enabled: "partnerCredentials: both" needs API keys enabled/);
  });

  it('refuses a partner entry that would match every certificate of the CA, and duplicate ids', () => {
    expect(firstIssue({ clientCertificates: { partners: [{ id: 'acme', tenant: 't1', plan: 'pro' }] }, partnerCredentials: 'certificate' })).toMatch(
      /^clientCertificates.partners.0: give "subject", "san" or "fingerprint256"/,
    );
    expect(firstIssue({ clientCertificates: { partners: [partner, { ...partner, subject: { CN: 'other' } }] }, partnerCredentials: 'certificate' })).toMatch(
      /^clientCertificates.partners: two partners have the same id/,
    );
    expect(firstIssue({ clientCertificates: { partners: [{ ...partner, san: 'spiffe://acme' }] }, partnerCredentials: 'certificate' })).toMatch(/^clientCertificates.partners.0.san: expected "DNS:…"/);
  });

  it('normalises fingerprints to node\'s form and openssl\'s "IP:" to node\'s "IP Address:"', () => {
    const parsed = authSchema.parse({
      clientCertificates: { partners: [{ ...partner, subject: undefined, fingerprint256: 'ab'.repeat(32), san: 'IP:10.0.0.7' }] },
      partnerCredentials: 'certificate',
    });
    expect(parsed.clientCertificates?.partners[0]).toMatchObject({ fingerprint256: Array(32).fill('AB').join(':'), san: 'IP Address:10.0.0.7' });
  });

  it('needs tls.clientCaFile with auth.clientCertificates, and the reverse (loadConfig names file and key)', async () => {
    const certificateAuth = { clientCertificates: { partners: [partner] }, partnerCredentials: 'certificate' };
    const configs = await writeConfigDir({ name: 'mtls-config', bff: { name: 'app', port: 0, sources: ['users'], auth: certificateAuth } });
    const problem = () =>
      loadConfig(configs.rootFile, {}, { fresh: true }).then(
        () => 'loaded',
        (error: unknown) => (error instanceof ConfigError ? `${error.key}: ${error.problem}` : String(error)),
      );
    try {
      expect(await problem()).toBe('auth.clientCertificates: needs "tls.clientCaFile", the CA that issues the partners\' certificates');
      await configs.writeBff({ auth: {}, tls: { certFile: 'server.crt', keyFile: 'server.key', clientCaFile: 'partners-ca.pem' } });
      expect(await problem()).toBe('tls.clientCaFile: client certificates would be asked for and never used: list the partners in "auth.clientCertificates"');
    } finally {
      await rm(configs.dir, { recursive: true, force: true });
    }
  });
});
