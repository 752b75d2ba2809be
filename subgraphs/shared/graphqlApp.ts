import type { IncomingMessage } from 'node:http';
import { graphql, type GraphQLSchema } from 'graphql';
import { receiveUploads } from './receiveUploads.js';
import { createYoga } from 'graphql-yoga';
import type { SubgraphApp } from './serveSubgraph.js';

const ENDPOINT = '/graphql';

/** A GraphQL subgraph served by yoga at `/graphql` (GET and POST). */
export function graphqlApp(schema: GraphQLSchema, resetData: () => void = () => {}, options: { uploads?: boolean } = {}): SubgraphApp {
  const yoga = createYoga({
    schema,
    graphqlEndpoint: ENDPOINT,
    landingPage: false,
    graphiql: false,
    // Yoga logs every masked resolver error at "error"; "warn" keeps test output readable while
    // still showing real failures on the child's stderr.
    logging: 'warn',
  });
  return {
    kind: 'graphql',
    endpointPath: ENDPOINT,
    route: (method, url) => (url.pathname === ENDPOINT ? `${method} ${ENDPOINT}` : `${method} *`),
    handle: async (request) => yoga.fetch(request),
    describeBody: describeGraphQLBody,
    resetData,
    // Uploads are read from the socket as they stream (receiveUploads.ts), then the operation
    // runs with each file's size and digest in place of its bytes.
    ...(options.uploads
      ? {
          handleUpload: async (req: IncomingMessage) => {
            let received;
            try {
              received = await receiveUploads(req);
            } catch {
              return Response.json({ errors: [{ message: 'not a valid GraphQL multipart request' }] }, { status: 400 });
            }
            const result = await graphql({ schema, source: received.query, variableValues: received.variables, operationName: received.operationName ?? null });
            return Response.json(result);
          },
        }
      : {}),
  };
}

interface OperationSummary {
  operationName: string | null;
  query: string | null;
}

/**
 * The operation(s) a request carries, so a test can tell which operations the gateway sent
 * (e.g. that two lookups were merged into one query). Undefined when the body is not GraphQL.
 */
export function describeGraphQLBody(
  method: string,
  url: URL,
  body: Buffer,
): OperationSummary | OperationSummary[] | undefined {
  if (method === 'GET') {
    return {
      operationName: url.searchParams.get('operationName'),
      query: url.searchParams.get('query'),
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  return Array.isArray(parsed) ? parsed.map(summarise) : summarise(parsed);
}

function summarise(value: unknown): OperationSummary {
  const params = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  return {
    operationName: typeof params['operationName'] === 'string' ? params['operationName'] : null,
    query: typeof params['query'] === 'string' ? params['query'] : null,
  };
}
