/**
 * The gateway side of bench/auth.ts: the web BFF's real schema and pipeline served four times,
 * on four ports, differing only in authentication:
 *   bare           the pipeline without the auth plugin: every caller is anonymous
 *   principalOnly  the auth plugin replaced by one line setting the principal the token yields, so
 *                  later plugins do what they do for an authenticated caller (access log, authz,
 *                  rate-limit keys): the floor against which the auth plugin itself is measured
 *   cached         the auth plugin with the verified-token cache (the default)
 *   uncached       the auth plugin with the cache off: every request verifies the signature
 * Keys are static (generated here), so no IdP is involved. Prints one `READY <json>` line with
 * the URLs and one token per load connection; answers the parent's 'cpu' messages with this process's CPU time, and
 * 'inProcess' by timing the three pipelines without sockets (yoga's fetch handler, one request
 * after another), which isolates the gateway's own CPU per request from the network stack.
 *   node --import tsx bench/authTarget.ts <number of tokens>
 */
import path from 'node:path';
import { createYoga, type Plugin } from 'graphql-yoga';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { pino } from 'pino';
import { authSchema } from '../src/config/authSchema.js';
import { ANONYMOUS } from '../src/context/principal.js';
import type { PipelinePlugin, RequestScope } from '../src/context/requestScope.js';
import { createReadiness } from '../src/context/readiness.js';
import { loadConfig, type LoadedBff } from '../src/config/loadConfig.js';
import { buildSourceRuntime } from '../src/compose/buildSourceRuntime.js';
import { composeBffSchema } from '../src/compose/composeBffSchema.js';
import { buildPipeline } from '../src/pipeline/buildPipeline.js';
import type { AuthPlugin } from '../src/plugins/auth/useAuth.js';
import { startBffServer } from '../src/server/createBffServer.js';
import { createHttpClient } from '../src/transport/httpClient.js';

const root = path.resolve(import.meta.dirname, '..');
const logger = pino({ level: 'silent' });

async function main() {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)) };
  const config = await loadConfig(path.join(root, 'portico.config.ts'), { WEB_PORT: '0', MOBILE_PORT: '0', PARTNER_PORT: '0' });
  const web = config.bffs.find((bff) => bff.name === 'web')!;
  const http = createHttpClient();
  const runtimes = new Map(web.sources.map((name) => [name, buildSourceRuntime(config.sources[name]!, { httpFor: () => http.call })] as const));
  const { schema } = composeBffSchema(web, runtimes);

  const withAuth = (maxEntries: number): LoadedBff => ({
    ...web,
    auth: authSchema.parse({
      jwt: { keys: [{ kid: 'bench', alg: 'RS256', jwk }], issuer: 'bench-issuer', audience: 'portico-web', cache: { maxEntries } },
      identityHeaders: { secret: 'bench-identity-secret-0123456789abcdef' },
    }),
  });
  // One token per load connection (argv[2]): concurrent requests with the same token share one
  // verification, which would hide the cost of verifying in the cache-off run.
  const tokenCount = Math.max(1, Number(process.argv[2] ?? 1));
  const tokens = await Promise.all(
    Array.from({ length: tokenCount }, (_, i) =>
      new SignJWT({
        iss: 'bench-issuer',
        aud: 'portico-web',
        sub: `u${i + 1}`,
        tenant: 't1',
        plan: 'pro',
        scope: 'orders:read products:read',
        jti: `bench-token-${i}`,
        exp: Math.floor(Date.now() / 1000) + 3600,
      })
        .setProtectedHeader({ alg: 'RS256', kid: 'bench', typ: 'JWT' })
        .sign(privateKey),
    ),
  );
  const token = tokens[0]!;

  // A pipeline of its own for each variant: plugins keep state (load shedding adapts its
  // concurrency limit to the latency it sees), and one variant's run must not shape another's.
  const pluginsOf = (bff: LoadedBff) => buildPipeline(bff, { logger, readiness: createReadiness() }).plugins;
  const isAuth = (plugin: PipelinePlugin): plugin is AuthPlugin => 'authenticator' in plugin;
  const principal = await pluginsOf(withAuth(10_000)).find(isAuth)!.authenticator.authenticate(`Bearer ${token}`, null);
  const setPrincipal: Plugin = {
    onRequestParse({ serverContext }) {
      (serverContext as unknown as { portico: RequestScope }).portico.principal = principal;
    },
  };
  const variants: Record<string, () => PipelinePlugin[]> = {
    bare: () => pluginsOf(withAuth(10_000)).filter((plugin) => !isAuth(plugin)),
    principalOnly: () => pluginsOf(withAuth(10_000)).map((plugin) => (isAuth(plugin) ? setPrincipal : plugin)),
    cached: () => pluginsOf(withAuth(10_000)),
    uncached: () => pluginsOf(withAuth(0)),
  };
  const urls: Record<string, string> = {};
  for (const [name, plugins] of Object.entries(variants)) {
    const running = await startBffServer({ bff: { ...web, port: 0 }, schema, plugins: plugins(), logger });
    urls[name] = running.url;
  }
  const body = JSON.stringify({ query: '{ __typename }' });
  const headers = { 'content-type': 'application/json', accept: 'application/graphql-response+json', authorization: `Bearer ${token}` };
  const handlers = Object.fromEntries(
    Object.entries(variants).map(([name, plugins]) => [name, createYoga<{ portico: RequestScope }>({ schema, plugins: plugins(), logging: false, landingPage: false, graphiql: false })]),
  );
  const once = async (name: string) => {
    const portico: RequestScope = { requestId: 'bench', principal: ANONYMOUS, upstreamHeaders: {} };
    const response = await handlers[name]!.fetch('http://bench.local/graphql', { method: 'POST', headers, body }, { portico });
    if (response.status !== 200) throw new Error(`${name}: HTTP ${response.status} ${await response.text()}`);
    await response.arrayBuffer();
  };
  const cpuPerRequest = async (name: string, n: number) => {
    const before = process.cpuUsage();
    for (let i = 0; i < n; i += 1) await once(name);
    const used = process.cpuUsage(before);
    return (used.user + used.system) / n;
  };
  const inProcess = async (rounds: number, perRound: number) => {
    const names = Object.keys(handlers);
    for (const name of names) await cpuPerRequest(name, perRound); // warm-up
    const samples: Record<string, number[]> = Object.fromEntries(names.map((name) => [name, []]));
    for (let round = 0; round < rounds; round += 1) {
      for (let i = 0; i < names.length; i += 1) {
        const name = names[(i + round) % names.length]!;
        samples[name]!.push(await cpuPerRequest(name, perRound));
      }
    }
    return samples;
  };

  process.on('message', (message) => {
    if (message === 'cpu') process.send?.(process.cpuUsage());
    if (typeof message === 'object' && message !== null && (message as { inProcess?: unknown }).inProcess) {
      const { rounds, perRound } = (message as { inProcess: { rounds: number; perRound: number } }).inProcess;
      inProcess(rounds, perRound).then(
        (samples) => process.send?.({ samples }),
        (error: unknown) => process.send?.({ error: String(error) }),
      );
    }
  });
  process.on('disconnect', () => process.exit(0));
  process.stdout.write(`READY ${JSON.stringify({ urls, tokens })}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
