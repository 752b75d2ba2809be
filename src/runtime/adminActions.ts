import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { ReloadOutcome } from './configReloader.js';

/** One `POST` operation of the admin listener: a JSON body in, a status and a JSON body out. */
export type AdminAction = (body: unknown) => Promise<{ status: number; body: unknown }>;

// Admin bodies are a few fields; anything bigger is a mistake or an attack on the listener.
const MAX_BODY_BYTES = 16 * 1024;

/** Reads the JSON body (empty is `{}`), runs the action, answers JSON. Never throws. */
export async function runAdminAction(action: AdminAction, req: IncomingMessage, res: ServerResponse, logger: Logger): Promise<void> {
  const answer = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  let text = '';
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      text += chunk.toString('utf8');
      if (text.length > MAX_BODY_BYTES) return void answer(413, { error: 'body too large' });
    }
  } catch {
    return;
  }
  let body: unknown = {};
  if (text.trim()) {
    try {
      body = JSON.parse(text);
    } catch {
      return void answer(400, { error: 'body is not JSON' });
    }
  }
  try {
    const result = await action(body);
    answer(result.status, result.body);
  } catch (error) {
    logger.error({ err: error, path: req.url }, 'admin action failed');
    answer(500, { error: 'the action failed; see the gateway log' });
  }
}

const revocationBody = z.strictObject({
  /** The token's `jti`. */
  jti: z.string().min(1).max(256),
  /** The token's `exp` (epoch seconds): the entry is dropped when the token would expire anyway. */
  expiresAt: z.number().int().positive(),
});

export interface PorticoAdminActionsOptions {
  reload(): Promise<ReloadOutcome>;
  /** Revokes in every revocation store the BFFs use; resolves with the stores written. */
  revoke(jti: string, expiresAt: number): Promise<string[]>;
}

/**
 * The admin listener's operations:
 *
 *   POST /admin/reload        reload the config (as SIGHUP does), announced to the fleet;
 *                             200 { ok, version } or 422 { ok: false, error } when refused
 *   POST /admin/revocations   { jti, expiresAt } revoke a token on every BFF; with Redis, on every
 *                             instance of the fleet from its next request on; 200 { revoked, stores }
 *
 * Each needs the admin bearer token (root config `admin.token`, src/runtime/adminServer.ts);
 * still bind the listener to loopback or a private interface and keep it out of any Service or
 * Ingress clients reach.
 */
export function porticoAdminActions(options: PorticoAdminActionsOptions): Record<string, AdminAction> {
  return {
    '/admin/reload': async () => {
      const outcome = await options.reload();
      return { status: outcome.ok ? 200 : 422, body: outcome };
    },
    '/admin/revocations': async (body) => {
      const parsed = revocationBody.safeParse(body);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        return { status: 400, body: { error: `${issue.path.join('.') || 'body'}: ${issue.message}` } };
      }
      const stores = await options.revoke(parsed.data.jti, parsed.data.expiresAt);
      return { status: 200, body: { revoked: parsed.data.jti, stores } };
    },
  };
}
