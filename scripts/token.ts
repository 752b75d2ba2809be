/**
 * Demo tokens from the running demo IdP (subgraphs/idp, started by `npm start`):
 *
 *   npm run token -- --sub u1 --scopes orders:read --tenant t1 [--plan pro] [--roles admin] [--admin]
 *                    [--aud portico-web] [--alg ES256] [--ttl 600] [--idp http://127.0.0.1:4105]
 *   npm run token -- --rotate [--drop-previous]     rotate the IdP's keys
 *   npm run token -- --hash-api-key KEY              the SHA-256 a BFF config stores for an API key
 *
 * `--admin` adds the `admin` role: the demo's user list and its @owner bypass (an admin reads any
 * user's personal data and orders, docs/authorization.md).
 *
 * Prints only the token, so `TOKEN=$(npm run -s token -- --sub u1)` works; then
 *   curl -H "authorization: Bearer $TOKEN" -H 'content-type: application/json' \
 *     -d '{"query":"{ user(id: \"u1\") { name } }"}' http://127.0.0.1:4000/graphql
 */
import { parseArgs } from 'node:util';
import { hashApiKey } from '../src/plugins/auth/apiKeys.js';

const USAGE = `usage:
  token --sub SUBJECT [--scopes a,b] [--tenant T] [--plan P] [--roles r1,r2] [--admin] [--aud A[,B]] [--alg RS256|ES256] [--ttl SECONDS] [--idp URL]
  token --rotate [--drop-previous] [--idp URL]
  token --hash-api-key KEY`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      scopes: { type: 'string' },
      tenant: { type: 'string' },
      plan: { type: 'string' },
      roles: { type: 'string' },
      admin: { type: 'boolean', default: false },
      aud: { type: 'string' },
      alg: { type: 'string' },
      ttl: { type: 'string' },
      idp: { type: 'string', default: process.env['IDP_URL'] ?? 'http://127.0.0.1:4105' },
      rotate: { type: 'boolean', default: false },
      'drop-previous': { type: 'boolean', default: false },
      'hash-api-key': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return usage('');
  if (values['hash-api-key'] !== undefined) {
    process.stdout.write(`${hashApiKey(values['hash-api-key'])}\n`);
    return 0;
  }
  const idp = values.idp.replace(/\/+$/, '');
  if (values.rotate) {
    const body = await post(`${idp}/keys/rotate`, { keepPrevious: !values['drop-previous'] });
    process.stdout.write(`${(body as { kids: string[] }).kids.join(' ')}\n`);
    return 0;
  }
  if (!values.sub) return usage('--sub is required');
  const list = (value: string | undefined) => value?.split(',').map((item) => item.trim()).filter(Boolean);
  const request: Record<string, unknown> = { sub: values.sub };
  if (values.scopes !== undefined) request['scopes'] = list(values.scopes);
  if (values.tenant !== undefined) request['tenant'] = values.tenant;
  if (values.plan !== undefined) request['plan'] = values.plan;
  const roles = [...(list(values.roles) ?? []), ...(values.admin ? ['admin'] : [])];
  if (roles.length > 0) request['roles'] = [...new Set(roles)];
  if (values.aud !== undefined) request['aud'] = list(values.aud);
  if (values.alg !== undefined) request['alg'] = values.alg;
  if (values.ttl !== undefined) {
    const ttl = Number(values.ttl);
    if (!Number.isInteger(ttl) || ttl <= 0) return usage(`--ttl: expected a positive integer, got ${values.ttl}`);
    request['expiresIn'] = ttl;
  }
  const body = (await post(`${idp}/token`, request)) as { access_token: string };
  process.stdout.write(`${body.access_token}\n`);
  return 0;
}

async function post(url: string, body: unknown): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  } catch (error) {
    throw new Error(`cannot reach the demo IdP at ${url} (is \`npm start\` running?): ${(error as Error).message}`);
  }
  const text = await response.text();
  if (!response.ok) throw new Error(`${url} answered ${response.status}: ${text}`);
  return JSON.parse(text) as unknown;
}

function usage(problem: string): number {
  if (problem) process.stderr.write(`token: ${problem}\n`);
  process.stderr.write(`${USAGE}\n`);
  return 2;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`token: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
