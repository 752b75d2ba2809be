import { describe, expect, it } from 'vitest';
import { parseSubjectAltName } from '../../src/server/peerCertificate.js';

describe("node's subjectAltName as entries", () => {
  it('splits on ", " and keeps each type prefix as node prints it', () => {
    expect(parseSubjectAltName('URI:spiffe://acme.example/gw, DNS:gw.acme.example, IP Address:127.0.0.1, email:ops@acme.example')).toEqual([
      'URI:spiffe://acme.example/gw',
      'DNS:gw.acme.example',
      'IP Address:127.0.0.1',
      'email:ops@acme.example',
    ]);
  });

  it('decodes quoted values instead of splitting them, so one crafted entry cannot pass for two', () => {
    expect(parseSubjectAltName('URI:"spiffe://evil.example/x, DNS:gw.acme.example", DNS:evil.example')).toEqual([
      'URI:spiffe://evil.example/x, DNS:gw.acme.example',
      'DNS:evil.example',
    ]);
  });

  it('has no entries for a certificate without the extension', () => {
    expect(parseSubjectAltName(undefined)).toEqual([]);
  });
});
