import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import type { ClientCertificate } from '../context/clientCertificate.js';

// One TLS connection carries many requests (keep-alive, HTTP/2 streams); its certificate is read
// and parsed once. Keyed by the HTTP/1.1 socket or the HTTP/2 session, both of which live exactly
// as long as the connection.
const byConnection = new WeakMap<object, ClientCertificate | null>();

/**
 * The client certificate of the request's TLS connection, or undefined when the client sent none
 * (or the connection is not TLS). The listener asked for it without requiring it
 * (`requestCert: true, rejectUnauthorized: false`), so an unverified certificate reaches here
 * marked as such, with OpenSSL's reason, and the auth stage refuses it.
 */
export function peerCertificateOf(req: IncomingMessage | Http2ServerRequest): ClientCertificate | undefined {
  const session = 'stream' in req ? req.stream.session : undefined;
  const connection: object = session ?? req.socket;
  let known = byConnection.get(connection);
  if (known === undefined) {
    // The session's `socket` is node's proxy onto the TLS socket; its methods reach the real one.
    known = read((session ? session.socket : req.socket) as TLSSocket) ?? null;
    byConnection.set(connection, known);
  }
  return known ?? undefined;
}

function read(socket: TLSSocket): ClientCertificate | undefined {
  if (typeof socket.getPeerX509Certificate !== 'function') return undefined;
  const certificate = socket.getPeerX509Certificate();
  if (certificate === undefined) return undefined;
  if (!socket.authorized) {
    const error = socket.authorizationError as unknown;
    return { verified: false, error: typeof error === 'string' ? error : ((error as { code?: string } | null)?.code ?? 'UNVERIFIED') };
  }
  const subject: Record<string, string[]> = {};
  for (const line of certificate.subject.split('\n')) {
    const at = line.indexOf('=');
    if (at <= 0) continue;
    (subject[line.slice(0, at)] ??= []).push(line.slice(at + 1));
  }
  return {
    verified: true,
    subject,
    subjectAltNames: parseSubjectAltName(certificate.subjectAltName),
    fingerprint256: certificate.fingerprint256,
    validTo: Date.parse(certificate.validTo),
  };
}

/**
 * node's subjectAltName string (`DNS:a, URI:b`) as entries. Since node 17 a value holding a comma
 * or a quote is printed as a JSON string (`URI:"http://a,b"`), so a crafted entry cannot pass for
 * two; such values are decoded, never split.
 */
export function parseSubjectAltName(text: string | undefined): string[] {
  if (!text) return [];
  const entries: string[] = [];
  const entry = /([A-Za-z][A-Za-z ]*):("(?:[^"\\]|\\.)*"|[^,]*)(?:, |$)/y;
  let match: RegExpExecArray | null;
  while (entry.lastIndex < text.length && (match = entry.exec(text)) !== null) {
    const raw = match[2]!;
    entries.push(`${match[1]}:${raw.startsWith('"') ? (JSON.parse(raw) as string) : raw}`);
  }
  return entries;
}
