/** The bench upstream's SDL (a Federation v2 subgraph), composed into the supergraph both gateways serve. */
export const TICK_SDL = /* GraphQL */ `
extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@shareable"])

type Query {
  benchPing: Boolean
}

type Tick {
  seq: Int!
  "When the upstream published it: ms on this machine's clock (performance.timeOrigin + performance.now())."
  publishedAt: Float!
}

type Subscription {
  tick: Tick!
}
`;

export interface Tick {
  seq: number;
  publishedAt: number;
}

/** What every client subscribes to, on both gateways and both protocols. */
export const TICK_SUBSCRIPTION = 'subscription BenchTick { tick { seq publishedAt } }';
