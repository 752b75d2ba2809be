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
