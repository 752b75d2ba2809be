// The partner REST API: each route runs one stored GraphQL operation (operations/*.graphql)
// through the partner BFF's own pipeline, so authentication, cost, rate limits, field
// authorization and breakers apply exactly as for a GraphQL client. A partner can only fill the
// declared parameters; it can never send GraphQL. GET /v1/openapi.json and /v2/openapi.json
// describe the routes (docs/partner-rest.md). Operation paths are relative to bff.config.ts.
import type { RoutesConfigInput } from '../../src/config/routesSchema.js';

export const partnerRoutes: RoutesConfigInput = {
  title: 'Portico partner API',
  description: 'Orders and the product catalogue for partner integrations. Authenticate with a bearer token from the identity provider or with your API key.',
  endpoints: [
    {
      method: 'GET',
      path: '/v1/orders',
      operation: './operations/listOrders.graphql',
      summary: 'List orders, oldest first',
      tags: ['orders'],
      params: {
        first: { in: 'query', description: 'How many orders (default 20).', example: 5 },
        offset: { in: 'query', description: 'How many orders to skip (default 0).', example: 0 },
      },
    },
    {
      method: 'GET',
      path: '/v1/orders/:id',
      operation: './operations/getOrderV1.graphql',
      summary: 'Get one order',
      tags: ['orders'],
      params: { id: { in: 'path', description: 'The order id.', example: 'o1' } },
      deprecated: { since: '2025-06-01', sunset: '2026-12-31', successor: '/v2/orders/:id' },
    },
    {
      method: 'GET',
      path: '/v2/orders/:id',
      operation: './operations/getOrderV2.graphql',
      summary: 'Get one order with item prices and stock',
      tags: ['orders'],
      params: { id: { in: 'path', description: 'The order id.', example: 'o1' } },
    },
    {
      method: 'POST',
      path: '/v1/cancellations',
      operation: './operations/cancelOrder.graphql',
      summary: 'Cancel an order',
      tags: ['orders'],
      params: { orderId: { in: 'body', description: 'The order to cancel.', example: 'o4' } },
    },
    {
      method: 'GET',
      path: '/v1/products',
      operation: './operations/listProducts.graphql',
      summary: 'List the catalogue, one page at a time',
      tags: ['products'],
      params: {
        page: { in: 'query', description: 'Page number, from 1.', example: 1 },
        pageSize: { in: 'query', description: 'Products per page, 1 to 50.', example: 10 },
      },
    },
    {
      method: 'GET',
      path: '/v1/products/:id',
      operation: './operations/getProduct.graphql',
      summary: 'Get one product with its stock',
      tags: ['products'],
      params: { id: { in: 'path', description: 'The product id.', example: 'p1' } },
    },
  ],
};
