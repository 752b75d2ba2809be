import { redisScript } from '../redis/runScript.js';

/**
 * One revocation check, a Lua script rather than a bare PTTL so that the reply names the key it
 * answers for.
 *
 * KEYS[1]   `<prefix><jti>`.
 * Returns   { KEYS[1], its PTTL }: -2 when there is no such key (not revoked), -1 for a key
 *           without expiry (written by hand), else the milliseconds the revocation has left.
 *
 * A client whose replies fall out of step with its commands (one lost or extra reply on a
 * connection) would hand each check the answer to the check before it: a revoked token would pass
 * and a good one be refused, and since "revoked" answers are kept, refused until its `exp`. With
 * the key in the reply, the store sees the mismatch and refuses to use it (redisRevocationStore).
 */
export const REVOCATION_CHECK = redisScript("return { KEYS[1], redis.call('PTTL', KEYS[1]) }");
