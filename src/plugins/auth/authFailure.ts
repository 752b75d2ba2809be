/**
 * Why a credential was refused. Sent to the client as `extensions.reason` next to the code
 * UNAUTHENTICATED: a fixed vocabulary that tells a client what to fix (refresh an expired token,
 * ask for the right audience) without describing the gateway's keys or configuration.
 */
export type AuthFailureReason =
  | 'credentials_required'
  | 'malformed_header'
  | 'ambiguous_credentials'
  | 'bearer_not_accepted'
  | 'api_keys_not_accepted'
  | 'invalid_api_key'
  | 'expired_api_key'
  | 'too_large'
  | 'malformed'
  | 'algorithm_not_allowed'
  | 'unknown_key'
  | 'bad_signature'
  | 'expired'
  | 'not_yet_valid'
  | 'wrong_issuer'
  | 'wrong_audience'
  | 'missing_claim'
  | 'invalid_claims'
  | 'revoked'
  | 'client_certificate_required'
  | 'client_certificate_invalid'
  | 'client_certificate_expired'
  | 'client_certificate_not_allowed'
  | 'api_key_required'
  | 'credentials_mismatch';

/** The RFC 6750 `error_description` of each reason: no quotes or backslashes (§3 forbids them). */
const DESCRIPTIONS: Record<AuthFailureReason, string> = {
  credentials_required: 'Credentials are required',
  malformed_header: 'The Authorization header is malformed',
  ambiguous_credentials: 'Send one credential, not several',
  bearer_not_accepted: 'This API does not accept bearer tokens',
  api_keys_not_accepted: 'This API does not accept API keys',
  invalid_api_key: 'The API key is not valid',
  expired_api_key: 'The API key has expired; use the key that replaced it',
  too_large: 'The token is larger than this API accepts',
  malformed: 'The token is malformed',
  algorithm_not_allowed: 'The token is signed with an algorithm this API does not accept',
  unknown_key: 'The token is signed with an unknown key',
  bad_signature: 'The token signature is invalid',
  expired: 'The token has expired',
  not_yet_valid: 'The token is not valid yet',
  wrong_issuer: 'The token comes from an issuer this API does not trust',
  wrong_audience: 'The token is not meant for this API',
  missing_claim: 'The token lacks a required claim',
  invalid_claims: 'The token carries claims of the wrong type',
  revoked: 'The token has been revoked',
  client_certificate_required: 'A client certificate is required',
  client_certificate_invalid: 'The client certificate is not issued by a trusted authority',
  client_certificate_expired: 'The client certificate has expired',
  client_certificate_not_allowed: 'The client certificate is not allowed here',
  api_key_required: 'An API key is required with the client certificate',
  credentials_mismatch: 'The API key and the client certificate belong to different partners',
};

/** Which credential a failure is about: it decides which challenge carries the error. */
export type CredentialScheme = 'bearer' | 'apiKey' | 'certificate';

/** A credential was refused: 401. Never carries anything the client did not send. */
export class AuthFailure extends Error {
  constructor(
    readonly reason: AuthFailureReason,
    readonly scheme?: CredentialScheme,
  ) {
    super(DESCRIPTIONS[reason]);
    this.name = 'AuthFailure';
  }
}

/**
 * The credential could not be checked (keys or revocation list unreachable): 503, so the client
 * retries instead of throwing away a token that may be perfectly good.
 */
export class AuthUnavailable extends Error {
  constructor(
    readonly what: 'keys' | 'revocations',
    options?: { cause?: unknown },
  ) {
    super(what === 'keys' ? 'verification keys unavailable' : 'revocation list unavailable', options);
    this.name = 'AuthUnavailable';
  }
}

export interface ChallengeSchemes {
  realm: string;
  bearer: boolean;
  /** The API key header when API keys are accepted. */
  apiKeyHeader?: string | undefined;
}

/**
 * The `WWW-Authenticate` value for a 401 (RFC 9110 §11.6.1): one challenge per scheme this BFF
 * accepts, the one the client used carrying RFC 6750's `error` and `error_description`.
 * `ApiKey` is not a registered scheme; it names the header so a client knows where the key goes.
 */
export function challengeFor(failure: AuthFailure, schemes: ChallengeSchemes): string {
  const realm = `realm="${schemes.realm}"`;
  const error =
    failure.reason === 'credentials_required'
      ? ''
      : `, error="${failure.reason === 'malformed_header' || failure.reason === 'ambiguous_credentials' ? 'invalid_request' : 'invalid_token'}", error_description="${failure.message}"`;
  const challenges: string[] = [];
  if (schemes.bearer || failure.scheme === 'bearer' || !schemes.apiKeyHeader) {
    // A certificate has no HTTP scheme to challenge with: no challenge carries its error, the
    // body's `extensions.reason` does.
    challenges.push(`Bearer ${realm}${failure.scheme === 'apiKey' || failure.scheme === 'certificate' ? '' : error}`);
  }
  if (schemes.apiKeyHeader) {
    challenges.push(`ApiKey ${realm}, header="${schemes.apiKeyHeader}"${failure.scheme === 'apiKey' ? error : ''}`);
  }
  return challenges.join(', ');
}
