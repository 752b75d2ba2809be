/** The Redis event source the subscription e2e tests serve: order events on `orders.<id>.status`. */
export const EVENTS_SDL = /* GraphQL */ `
directive @requiresScopes(scopes: [[String!]!]!) on OBJECT | INTERFACE | FIELD_DEFINITION

type OrderEvent {
  orderId: ID!
  status: String!
  seq: Int!
  "Large on purpose in the slow-consumer test."
  blob: String
  "Only for callers holding orders:internal."
  internalNote: String @requiresScopes(scopes: [["orders:internal"]])
}

type Subscription {
  orderStatus(orderId: ID!): OrderEvent @channel(name: "orders.{orderId}.status")
}
`;
