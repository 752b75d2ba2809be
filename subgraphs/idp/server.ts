import { randomUUID } from 'node:crypto';
import { SignJWT, type JWTPayload } from 'jose';
import { z } from 'zod';
import { json } from '../shared/restApp.js';
import { serveSubgraph, type RunningSubgraph, type SubgraphApp, type SubgraphOptions } from '../shared/serveSubgraph.js';
import { generateKeyGeneration, IDP_ALGORITHMS, type KeyGeneration } from './keys.js';

/** `iss` of every token this IdP issues; the demo BFF configs expect it. */
export const DEMO_ISSUER = 'portico-demo-idp';
/** By default a demo token is good on every demo BFF; `aud` narrows it. */
export const DEMO_AUDIENCES = ['portico-web', 'portico-mobile', 'portico-partner'];
export const DEFAULT_TOKEN_TTL_SECONDS = 3600;

export const JWKS_PATH = '/.well-known/jwks.json';
export const TOKEN_PATH = '/token';
export const ROTATE_PATH = '/keys/rotate';

/**
 * `POST /token`. The demo fields (`sub`, `scopes`, `tenant`, …) cover `npm run token`; `claims`
 * and `header` let tests issue tokens the gateway must refuse (expired, wrong audience, foreign
 * `jku`), signed with the IdP's real keys. `alg` in `header` is not accepted: the key decides it.
 */
export const tokenRequestSchema = z.strictObject({
  sub: z.string().min(1),
  scopes: z.union([z.array(z.string().min(1)), z.string()]).optional(),
  tenant: z.string().min(1).optional(),
  plan: z.string().min(1).optional(),
  roles: z.array(z.string().min(1)).optional(),
  aud: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).optional(),
  /** Lifetime in seconds. @default 3600 */
  expiresIn: z.number().int().optional(),
  /** Which current key signs. @default 'RS256' */
  alg: z.enum(IDP_ALGORITHMS).optional(),
  /** @default a random UUID */
  jti: z.string().min(1).optional(),
  /** Raw claims applied last, overriding the ones above (e.g. `{ exp: 1 }`, `{ iss: 'evil' }`). */
  claims: z.record(z.string(), z.unknown()).optional(),
  /** Extra protected-header parameters (`kid`, `jku`, `x5u`, `typ`, …). */
  header: z.record(z.string(), z.unknown()).refine((h) => !('alg' in h), { error: 'alg is set by the key' }).optional(),
});
export type TokenRequest = z.infer<typeof tokenRequestSchema>;

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  jti: string;
  kid: string;
}

/**
 * The demo identity provider: a JWKS with an RS256 and an ES256 key, a token endpoint and key
 * rotation. It runs like the other demo services (fault knobs, counters, request log), so a test
 * can take the JWKS endpoint down or count how often the gateway fetched it.
 *
 * Rotation publishes the new generation next to the previous one (tokens already issued keep
 * verifying until they expire), as real IdPs do; `{ keepPrevious: false }` drops the old keys at
 * once, as after a key compromise.
 */
export async function idpApp(): Promise<SubgraphApp> {
  const first = await generateKeyGeneration(1);
  let current: KeyGeneration = first;
  let previous: KeyGeneration | undefined;

  const publishedKeys = () =>
    [current, previous].flatMap((generation) =>
      generation ? IDP_ALGORITHMS.map((alg) => generation.keys[alg].publicJwk) : [],
    );

  async function issue(request: TokenRequest): Promise<TokenResponse> {
    const key = current.keys[request.alg ?? 'RS256'];
    const now = Math.floor(Date.now() / 1000);
    const expiresIn = request.expiresIn ?? DEFAULT_TOKEN_TTL_SECONDS;
    const jti = request.jti ?? randomUUID();
    const payload: JWTPayload = {
      iss: DEMO_ISSUER,
      sub: request.sub,
      aud: request.aud ?? DEMO_AUDIENCES,
      iat: now,
      nbf: now,
      exp: now + expiresIn,
      jti,
    };
    const scopes = typeof request.scopes === 'string' ? request.scopes.split(/[\s,]+/).filter(Boolean) : request.scopes;
    if (scopes && scopes.length > 0) payload['scope'] = scopes.join(' ');
    if (request.tenant) payload['tenant'] = request.tenant;
    if (request.plan) payload['plan'] = request.plan;
    if (request.roles) payload['roles'] = request.roles;
    Object.assign(payload, request.claims);
    const token = await new SignJWT(payload)
      .setProtectedHeader({ typ: 'JWT', kid: key.kid, ...request.header, alg: key.alg })
      .sign(key.privateKey);
    return { access_token: token, token_type: 'Bearer', expires_in: expiresIn, jti, kid: key.kid };
  }

  const routes: Record<string, (request: Request, url: URL) => Promise<Response> | Response> = {
    [`GET ${JWKS_PATH}`]: () =>
      new Response(JSON.stringify({ keys: publishedKeys() }), {
        headers: { 'content-type': 'application/jwk-set+json', 'cache-control': 'max-age=300' },
      }),
    'GET /.well-known/openid-configuration': (_request, url) =>
      json(200, {
        issuer: DEMO_ISSUER,
        jwks_uri: `${url.origin}${JWKS_PATH}`,
        token_endpoint: `${url.origin}${TOKEN_PATH}`,
        id_token_signing_alg_values_supported: IDP_ALGORITHMS,
      }),
    [`POST ${TOKEN_PATH}`]: async (request) => {
      const parsed = tokenRequestSchema.safeParse(await readJson(request));
      if (!parsed.success) return json(400, { error: 'invalid_request', issues: parsed.error.issues });
      return json(200, await issue(parsed.data));
    },
    [`POST ${ROTATE_PATH}`]: async (request) => {
      const body = z.strictObject({ keepPrevious: z.boolean().default(true) }).safeParse((await readJson(request)) ?? {});
      if (!body.success) return json(400, { error: 'invalid_request', issues: body.error.issues });
      const next = await generateKeyGeneration(current.generation + 1);
      previous = body.data.keepPrevious ? current : undefined;
      current = next;
      return json(200, { kids: publishedKeys().map((jwk) => jwk.kid) });
    },
  };

  return {
    kind: 'rest',
    endpointPath: '',
    route: (method, url) => (`${method} ${url.pathname}` in routes ? `${method} ${url.pathname}` : `${method} *`),
    async handle(request) {
      const url = new URL(request.url);
      const handler = routes[`${request.method} ${url.pathname}`];
      return handler ? handler(request, url) : json(404, { error: 'not_found' });
    },
    resetData() {
      current = first;
      previous = undefined;
    },
  };
}

async function readJson(request: Request): Promise<unknown> {
  const text = await request.text();
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return Symbol('invalid json'); // fails every schema, so the caller answers 400
  }
}

export async function startIdpSubgraph(options: SubgraphOptions = {}): Promise<RunningSubgraph> {
  return serveSubgraph('idp', await idpApp(), options);
}
