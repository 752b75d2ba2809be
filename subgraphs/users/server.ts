import { readFileSync } from 'node:fs';
import { GraphQLError } from 'graphql';
import { createSchema } from 'graphql-yoga';
import { graphqlApp } from '../shared/graphqlApp.js';
import type { ReceivedFile } from '../shared/receiveUploads.js';
import { serveSubgraph, type RunningSubgraph, type SubgraphOptions } from '../shared/serveSubgraph.js';
import { findTenant, findUser, USERS, type Tenant, type User } from './data.js';

/** The SDL file is the schema: reading it here keeps the file and the served schema identical. */
export const USERS_SDL = readFileSync(new URL('../../schemas/users.graphql', import.meta.url), 'utf8');

function tenantOf(user: User): Tenant {
  const tenant = findTenant(user.tenantId);
  if (!tenant) throw new Error(`seed data: user ${user.id} names unknown tenant ${user.tenantId}`);
  return tenant;
}

function page<T>(items: readonly T[], first: number, offset: number): T[] {
  if (first < 0 || offset < 0) {
    throw new GraphQLError('first and offset must not be negative', { extensions: { code: 'BAD_USER_INPUT' } });
  }
  return items.slice(offset, offset + first);
}

export function createUsersSchema() {
  return createSchema({
    typeDefs: USERS_SDL,
    resolvers: {
      Query: {
        user: (_: unknown, { id }: { id: string }) => findUser(id) ?? null,
        usersByIds: (_: unknown, { ids }: { ids: string[] }) => ids.map((id) => findUser(id) ?? null),
        users: (_: unknown, { first, offset }: { first: number; offset: number }) => page(USERS, first, offset),
        tenant: (_: unknown, { id }: { id: string }) => findTenant(id) ?? null,
      },
      User: {
        tenant: (user: User) => tenantOf(user),
        plan: (user: User) => tenantOf(user).plan,
      },
      // The file arrives as what receiveUploads kept of it: its size and digest.
      Mutation: {
        uploadAvatar: (_: unknown, { file }: { file: ReceivedFile | null }) => {
          if (!file) throw new GraphQLError('file is missing', { extensions: { code: 'BAD_USER_INPUT' } });
          return file;
        },
      },
    },
  });
}

export function startUsersSubgraph(options: SubgraphOptions = {}): Promise<RunningSubgraph> {
  return serveSubgraph('users', graphqlApp(createUsersSchema(), () => {}, { uploads: true }), options);
}
