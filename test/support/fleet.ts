import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { runPortico, type CliProcess } from './cli.js';
import { TEST_ADMIN_TOKEN } from './portico.js';

/** The admin listener's config for a fleet's root config: `/admin/*` behind TEST_ADMIN_TOKEN. */
export const FLEET_ADMIN = { port: 0, token: { env: 'PORTICO_ADMIN_TOKEN' } };

/** One `portico start` process of a fleet: its BFF `app` and its admin listener. */
export interface FleetInstance {
  process: CliProcess;
  url: string;
  admin: string;
}

/**
 * `count` instances of one deployment (`portico start --config rootFile`, a config from
 * writeConfigDir with `admin`), started at once; resolves once each serves.
 */
export function startFleet(count: number, rootFile: string, env: Record<string, string>): Promise<FleetInstance[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const process = runPortico(['start', '--config', rootFile], { LOG_LEVEL: 'warn', PORTICO_ADMIN_TOKEN: TEST_ADMIN_TOKEN, ...env });
      // Three tsx start-ups at once on two cores: allow for a slow machine.
      const [url, admin] = await Promise.all([process.waitForLine(/^app\s+(http:\S+)$/, 100_000), process.waitForLine(/^metrics\s+(http:\S+)\/metrics$/, 100_000)]);
      return { process, url: url[1]!, admin: admin[1]! };
    }),
  );
}

/** An HS256 token for user u1 with a fresh `jti` (unless given), valid for 30 minutes. */
export async function fleetToken(secret: string, issuer: string, jti: string = randomUUID()): Promise<{ bearer: string; jti: string; exp: number }> {
  const exp = Math.floor(Date.now() / 1000) + 1800;
  const bearer = await new SignJWT({ scope: 'users:read users:pii' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(issuer)
    .setAudience('app')
    .setSubject('u1')
    .setJti(jti)
    .setExpirationTime(exp)
    .sign(new TextEncoder().encode(secret));
  return { bearer, jti, exp };
}

/** Runs `probe` against every instance until each passes; resolves with the ms that took. */
export async function untilAll<T extends { url: string }>(instances: T[], probe: (instance: T) => Promise<boolean>, limitMs = 10_000): Promise<number> {
  const started = performance.now();
  await Promise.all(
    instances.map(async (instance) => {
      // Each probe is a real round trip: the loop paces itself without a timer.
      while (!(await probe(instance))) {
        if (performance.now() - started > limitMs) throw new Error(`${instance.url}: no change within ${limitMs} ms`);
      }
    }),
  );
  return performance.now() - started;
}

/** Revokes `jti` through an instance's admin listener; resolves with the HTTP response. */
export function revokeVia(instance: Pick<FleetInstance, 'admin'>, jti: string, expiresAt: number): Promise<Response> {
  return fetch(`${instance.admin}/admin/revocations`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
    body: JSON.stringify({ jti, expiresAt }),
  });
}
