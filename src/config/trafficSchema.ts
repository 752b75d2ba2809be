import { z } from 'zod';

// A source's versions and how requests are routed among them (docs/traffic.md). Validated here,
// once; src/transport/ reads the parsed result on every call and decides nothing the
// config did not say.

const versionName = z.string().regex(/^[a-z][a-z0-9-]*$/, { error: 'expected a lower-case version name like "canary"' });
const httpUrl = z.url({ protocol: /^https?$/ });
const percent = z.number().min(0).max(100);

/**
 * What a rule matches on. Every condition given must hold. Claims are read from the verified
 * principal (the auth stage maps the JWT's claims or the API key onto it), never from anything
 * the client sent; a header condition is for opting in to a version (a tester's `x-version:
 * canary`), never for identity.
 */
export const trafficMatchSchema = z
  .strictObject({
    /** A request header (name lower-case) equal to this value. @example { name: 'x-version', equals: 'canary' } */
    header: z.strictObject({ name: z.string().min(1).transform((name) => name.toLowerCase()), equals: z.string() }).optional(),
    /** The principal's tenant is one of these. */
    tenant: z.array(z.string().min(1)).min(1).optional(),
    /** The principal's subject (`sub` claim, or API key id) is one of these. */
    subject: z.array(z.string().min(1)).min(1).optional(),
    /** The principal's plan is one of these. */
    plan: z.array(z.string().min(1)).min(1).optional(),
    /** The principal has this role. */
    role: z.string().min(1).optional(),
    /** The principal has this scope. */
    scope: z.string().min(1).optional(),
  })
  .refine((match) => Object.values(match).some((value) => value !== undefined), { error: 'a rule needs at least one condition' });

export const trafficRuleSchema = z.strictObject({
  /** The version a matching request goes to. */
  version: versionName,
  when: trafficMatchSchema,
});

export const rollbackSchema = z.strictObject({
  /**
   * The window both versions' calls are compared over.
   * @default 60000: a minute of a 5 % canary at tens of requests a second is hundreds of calls,
   * enough for an error rate; short enough that a bad canary hurts few users.
   */
  windowMs: z.number().int().positive().default(60_000),
  /**
   * Calls a version must have made in the window before it is judged.
   * @default 20: fewer, and two unlucky calls of five look like a 40 % error rate.
   */
  minCalls: z.number().int().positive().default(20),
  /**
   * Rolled back when its error rate exceeds the primary's by more than this (0.05 = 5 points).
   * Errors are 5xx answers and failed calls (refused, timed out); 4xx and GraphQL errors are not.
   * @default 0.05
   */
  errorRateMargin: z.number().min(0).max(1).default(0.05),
  /**
   * Rolled back when its p99 latency exceeds the primary's by more than this many ms; the primary
   * must have `minCalls` calls in the window too, or latency is not compared.
   * @default 250: slower than that is a change a user notices.
   */
  p99MarginMs: z.number().int().min(0).default(250),
});

export const mirrorSchema = z.strictObject({
  /** The version that gets the copies. Its answers are compared, never served. */
  version: versionName,
  /** Share of reads copied to it; mutations never are. */
  percent,
  /**
   * A copy is abandoned after this long.
   * @default 2000: the copy holds a socket and a slot until then, and no client waits for it.
   */
  timeoutMs: z.number().int().positive().default(2_000),
  /**
   * Copies in flight at once; beyond it a read is not copied.
   * @default 32: a hanging shadow holds at most 32 sockets and slots, whatever the traffic.
   */
  maxConcurrent: z.number().int().positive().default(32),
  /**
   * Share of differences that are logged (each with its path, never values); all are counted.
   * @default 0.01: a shadow that differs on every read must not flood the log.
   */
  logSampleRate: z.number().min(0).max(1).default(0.01),
  /**
   * Copies that fail in a row (5xx, timeout, unreachable) before copying pauses for `pauseMs`.
   * @default 5: a healthy shadow's odd 5xx never pauses it; five in a row is a shadow that is down.
   */
  pauseAfterFailures: z.number().int().positive().default(5),
  /**
   * How long copying pauses; then one copy probes the shadow, and copying resumes if it answers.
   * @default 1000: a shadow that fails everything costs one copy a second, not one per read, and
   * a recovered shadow gets copies again within a second.
   */
  pauseMs: z.number().int().positive().default(1_000),
});

export const trafficSchema = z
  .strictObject({
    /** The versions, each a URL (for a REST source, its base URL). @example { stable: 'http://users-v1/graphql', canary: 'http://users-v2/graphql' } */
    versions: z.record(versionName, httpUrl),
    /**
     * The version every request goes to unless a rule or a weight says otherwise, and the one
     * rollback compares the others against. @default 'stable'
     */
    primary: versionName.default('stable'),
    /** Rules, first match wins; a request no rule matches is placed by `weights`. */
    rules: z.array(trafficRuleSchema).default([]),
    /** Percent of the remaining requests per version, summing to 100. @default the primary gets 100 */
    weights: z.record(versionName, percent).optional(),
    /**
     * Place a signed-in caller by a hash of their verified subject, so a user stays on one version
     * while the weights stand; anonymous callers are placed at random.
     * @default true: a user flipping between versions sees answers change under them.
     */
    sticky: z.boolean().default(true),
    /** Roll a version back to weight 0 when it does worse than the primary (docs/traffic.md). */
    rollback: rollbackSchema.optional(),
    /** Copy a share of reads to a shadow version and compare its answers. */
    mirror: mirrorSchema.optional(),
    /**
     * Any value; changing it (or anything else in this block) brings rolled-back versions back.
     * A reload that leaves the block as it is keeps them rolled back.
     */
    revision: z.union([z.string(), z.number()]).optional(),
  })
  .superRefine((traffic, ctx) => {
    const known = (version: string, path: (string | number)[]) => {
      if (!(version in traffic.versions)) ctx.addIssue({ code: 'custom', path, message: `unknown version "${version}" (versions: ${Object.keys(traffic.versions).join(', ')})` });
    };
    known(traffic.primary, ['primary']);
    traffic.rules.forEach((rule, i) => known(rule.version, ['rules', i, 'version']));
    if (traffic.weights) {
      for (const version of Object.keys(traffic.weights)) known(version, ['weights', version]);
      const sum = Object.values(traffic.weights).reduce((a, b) => a + b, 0);
      if (Math.abs(sum - 100) > 1e-9) ctx.addIssue({ code: 'custom', path: ['weights'], message: `weights must sum to 100, got ${sum}` });
    }
    if (traffic.mirror) {
      known(traffic.mirror.version, ['mirror', 'version']);
      if (traffic.mirror.version === traffic.primary) ctx.addIssue({ code: 'custom', path: ['mirror', 'version'], message: 'the primary cannot be its own shadow' });
    }
  });

/**
 * A federation's subgraphs' versions, by subgraph name: a federation source's `subgraphTraffic`,
 * and the file `portico serve --traffic FILE` reads (docs/serve.md).
 */
export const subgraphTrafficSchema = z.record(z.string(), trafficSchema);

export type TrafficConfig = z.infer<typeof trafficSchema>;
export type TrafficMatch = z.infer<typeof trafficMatchSchema>;
export type RollbackConfig = z.infer<typeof rollbackSchema>;
export type MirrorConfig = z.infer<typeof mirrorSchema>;
