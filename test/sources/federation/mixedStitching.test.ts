import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSchema, graphql } from 'graphql';
import type { SubschemaConfig } from '@graphql-tools/delegate';
import { stitchSchemas } from '@graphql-tools/stitch';
import { createSchema, createYoga } from 'graphql-yoga';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildSupergraphSubschemas,
  hideFederationInternals,
} from '../../../src/sources/federation/buildSupergraphSubschemas.js';
import { createHttpClient, type HttpClient } from '../../../src/transport/httpClient.js';
import { startFederationFixture, type FederationFixture } from '../../support/federationFixture.js';
import { countingExecutors, httpExecutors } from './federationGateway.js';

// A BFF mixing a supergraph with plain sources: the federation subgraph `orders` owns
// `User @key(fields: "id") { id orders }`, a plain (non-federation) users service resolves
// users by id in batches. Both are served over real HTTP.
const usersSdl = /* GraphQL */ `
  type User {
    id: ID!
    name: String!
  }
  type Query {
    usersByIds(ids: [ID!]!): [User]!
  }
`;
const users = [
  { id: 'u1', name: 'Ada Lovelace' },
  { id: 'u2', name: 'Alan Turing' },
];

let fixture: FederationFixture;
let usersServer: Server;
let http: HttpClient;
let calls: Record<string, number>;
let run: (query: string) => Promise<unknown>;

beforeAll(async () => {
  fixture = await startFederationFixture('orders');
  usersServer = createServer(
    createYoga({
      schema: createSchema({
        typeDefs: usersSdl,
        resolvers: {
          Query: {
            usersByIds: (_: unknown, args: { ids: string[] }) =>
              args.ids.map((id) => users.find((user) => user.id === id) ?? null),
          },
        },
      }),
      logging: false,
    }),
  );
  await new Promise<void>((resolve) => usersServer.listen(0, '127.0.0.1', resolve));
  const usersUrl = `http://127.0.0.1:${(usersServer.address() as AddressInfo).port}/graphql`;

  http = createHttpClient();
  const counting = countingExecutors(httpExecutors(http));
  calls = counting.calls;
  const usersSource: SubschemaConfig = {
    name: 'users',
    schema: buildSchema(usersSdl),
    executor: counting.executorFor({ name: 'users', url: usersUrl }),
    merge: {
      User: {
        selectionSet: '{ id }',
        fieldName: 'usersByIds',
        key: ({ id }: { id: string }) => id,
        argsFromKeys: (ids: readonly string[]) => ({ ids }),
      },
    },
  };

  // This is the whole recipe: spread the supergraph's stitching options, append the other
  // subschemas, then hide federation internals from the stitched result.
  const { subgraphs: _subgraphs, ...federation } = buildSupergraphSubschemas({
    supergraphSdl: fixture.supergraphSdl,
    executorFor: counting.executorFor,
  });
  const schema = hideFederationInternals(
    stitchSchemas({ ...federation, subschemas: [...federation.subschemas, usersSource] }),
  );
  run = async (query) => {
    for (const name of Object.keys(calls)) delete calls[name];
    return graphql({ schema, source: query, contextValue: {} });
  };
});

afterAll(async () => {
  await http?.close();
  usersServer?.closeAllConnections();
  await new Promise((resolve) => usersServer?.close(resolve));
  await fixture?.stop();
});

describe('federation subschemas stitched with a plain GraphQL source', () => {
  it('completes federation entities from the plain source, batching all keys into one call', async () => {
    const result = await run(`{ orders { id total buyer { id name } } }`);
    expect(result).toEqual({
      data: {
        orders: [
          { id: 'o1', total: 1798, buyer: { id: 'u1', name: 'Ada Lovelace' } },
          { id: 'o2', total: 54, buyer: { id: 'u2', name: 'Alan Turing' } },
          { id: 'o3', total: 1299, buyer: { id: 'u1', name: 'Ada Lovelace' } },
        ],
      },
    });
    expect(calls).toEqual({ orders: 1, users: 1 });
  });

  it('completes plain-source objects from the federation subgraph through _entities', async () => {
    const result = await run(`{ usersByIds(ids: ["u2", "u1"]) { name orders { id total } } }`);
    expect(result).toEqual({
      data: {
        usersByIds: [
          { name: 'Alan Turing', orders: [{ id: 'o2', total: 54 }] },
          {
            name: 'Ada Lovelace',
            orders: [
              { id: 'o1', total: 1798 },
              { id: 'o3', total: 1299 },
            ],
          },
        ],
      },
    });
    expect(calls).toEqual({ users: 1, orders: 1 });
  });

  it('goes back and forth between the two kinds of source in one query', async () => {
    const result = await run(`{ orders { id buyer { name orders { id } } } }`);
    expect(result).toEqual({
      data: {
        orders: [
          { id: 'o1', buyer: { name: 'Ada Lovelace', orders: [{ id: 'o1' }, { id: 'o3' }] } },
          { id: 'o2', buyer: { name: 'Alan Turing', orders: [{ id: 'o2' }] } },
          { id: 'o3', buyer: { name: 'Ada Lovelace', orders: [{ id: 'o1' }, { id: 'o3' }] } },
        ],
      },
    });
  });

  it('serves one schema with both sources root fields and no federation internals', async () => {
    const result = (await run(`{ __schema { queryType { fields { name } } } }`)) as {
      data: { __schema: { queryType: { fields: { name: string }[] } } };
    };
    expect(result.data.__schema.queryType.fields.map((field) => field.name).sort()).toEqual([
      'orders',
      'usersByIds',
    ]);
  });
});
