// `ping` costs 1 (one object) and calls no source: the benchmark's gateway-only query.
export const typeDefs = /* GraphQL */ `
  type Ping {
    ok: Boolean!
  }
  extend type Query {
    ping: Ping
  }
`;

export const resolvers = { Query: { ping: () => ({ ok: true }) } };
