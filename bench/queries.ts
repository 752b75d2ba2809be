// The queries the bench sends. FEDERATION_QUERY is the nested query of the gateway field's
// federation benchmark: every subgraph, entity calls three levels deep, @requires and @provides.

export const FEDERATION_QUERY = /* GraphQL */ `
fragment User on User {
  id
  username
  name
}

fragment Review on Review {
  id
  body
}

fragment Product on Product {
  inStock
  name
  price
  shippingEstimate
  upc
  weight
}

query TestQuery {
  users {
    ...User
    reviews {
      ...Review
      product {
        ...Product
        reviews {
          ...Review
          author {
            ...User
            reviews {
              ...Review
              product {
                ...Product
              }
            }
          }
        }
      }
    }
  }
  topProducts {
    ...Product
    reviews {
      ...Review
      author {
        ...User
        reviews {
          ...Review
          product {
            ...Product
          }
        }
      }
    }
  }
}
`;

/** Answered by the products subgraph alone, so it can also be sent to that subgraph directly. */
export const SINGLE_SUBGRAPH_QUERY = /* GraphQL */ `
query TopProducts {
  topProducts(first: 5) {
    upc
    name
    price
    weight
  }
}
`;

/**
 * Scenario (e): the web BFF's README query (README.md, "Example queries"): users (GraphQL),
 * orders (Federation v2), products and inventory (REST), and the BFF's own `dashboard` resolver.
 */
export const BFF_QUERY = bffQuery('u1');

/**
 * The same query asked as another user: scenario (e2) gives each connection its own subject and
 * asks for that subject's own user, orders and dashboard (a user may read only their own).
 */
export function bffQuery(userId: string): string {
  return /* GraphQL */ `
{
  user(id: "${userId}") {
    name
    plan
    orders(first: 2) {
      id
      total
      items { quantity product { name priceCents stock { available warehouse } } }
    }
  }
  dashboard(userId: "${userId}") { user { name } recentOrders { id status } featuredProducts { items { name } } }
}
`;
}
