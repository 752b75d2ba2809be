import { z } from 'zod';

// Field-level authorization per BFF (src/plugins/authz/useFieldAuthz.ts applies it). The rules
// themselves are directives in the sources' SDL and the BFF's typeDefs (@public, @auth,
// @requiresScopes); docs/authorization.md explains how they combine.

export const authzSchema = z
  .strictObject({
    /**
     * What a field no source states a rule for requires.
     * @default 'authenticated': a field someone forgot to annotate is closed to anonymous
     * callers, not open to the internet; the catalogue and other public data say `@public`.
     */
    defaultPolicy: z.enum(['authenticated', 'public']).default('authenticated'),
    /**
     * What happens when a query asks for fields the caller may not read. 'reject' refuses the
     * whole request (401 UNAUTHENTICATED for anonymous callers, 403 FORBIDDEN otherwise) with
     * every denied path listed; 'null' runs the rest and answers those fields null with an error
     * at each path. Either way no source is asked for a denied field.
     * @default 'reject': a client learns at once that it asked for too much, and a denied
     * request costs the sources nothing.
     */
    onDenied: z.enum(['reject', 'null']).default('reject'),
    /**
     * Roles and scopes that skip every `@owner` rule on this BFF, on top of each rule's own
     * `bypassRoles`/`bypassScopes` (docs/authorization.md, "Ownership"). Holding any one is enough.
     * @default no roles, no scopes: only the rules themselves say who bypasses them.
     */
    ownerBypass: z
      .strictObject({
        roles: z.array(z.string().min(1)).default([]),
        scopes: z.array(z.string().min(1)).default([]),
      })
      .prefault({}),
  })
  .prefault({});

export type AuthzConfig = z.infer<typeof authzSchema>;
