// Scenario (e)'s peer: the four demo sources (users: plain GraphQL, orders: a Federation v2
// subgraph, products and inventory: REST) composed into one supergraph with GraphQL Mesh
// (`@graphql-mesh/compose-cli`, the REST APIs through `@omnigraph/json-schema`), for Hive Gateway
// to serve. It is the schema a team would build to get the web BFF's README query from Hive
// Gateway: the same links Portico's sources registry declares (schemas/sources.ts, the
// @key/@batch/@rest directives of schemas/*.graphql) and the web BFF's `dashboard`
// (bffs/web/resolvers.ts), expressed with Mesh's own tools.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GraphQLID, GraphQLList, GraphQLNonNull, type GraphQLInputType, type GraphQLOutputType } from 'graphql';
import { MapperKind, mapSchema } from '@graphql-tools/utils';
import { createFederationTransform, type SubgraphTransform, getComposedSchemaFromConfig, loadGraphQLHTTPSubgraph } from '@graphql-mesh/compose-cli';
import { DefaultLogger } from '@graphql-mesh/utils';
import { loadJSONSchemaSubgraph, type JSONSchemaOperationResponseConfig } from '@omnigraph/json-schema';

/** The demo services' URLs (`READY <name> <url>` of subgraphs/run.ts: `/graphql` included for GraphQL ones). */
export interface DemoUrls {
  users: string;
  orders: string;
  products: string;
  inventory: string;
}

type JsonSchema = Exclude<JSONSchemaOperationResponseConfig['responseSchema'], string | undefined>;

const id: JsonSchema = { type: 'string' };
const int: JsonSchema = { type: 'integer' };
const str: JsonSchema = { type: 'string' };

// The products API's answers (subgraphs/products/server.ts), as JSON schemas.
const product: JsonSchema = {
  title: 'Product',
  type: 'object',
  properties: { id, name: str, description: str, priceCents: int, category: str, sku: str },
  required: ['id', 'name', 'description', 'priceCents', 'category', 'sku'],
};
const productPage: JsonSchema = {
  title: 'ProductPage',
  type: 'object',
  properties: { items: { type: 'array', items: product }, page: int, pageSize: int, total: int },
  required: ['items', 'page', 'pageSize', 'total'],
};
const stock: JsonSchema = {
  title: 'Stock',
  type: 'object',
  properties: { productId: id, available: int, warehouse: str, updatedAt: str },
  required: ['productId', 'available', 'warehouse', 'updatedAt'],
};

const ORDERS_SDL_FILE = path.resolve(import.meta.dirname, '../../schemas/orders.graphql');

/**
 * Ids are `ID` in the GraphQL sources; a JSON schema string becomes `String`, which federation
 * composition refuses for a key field shared with them (and JSON schema has no id format). This
 * subgraph transform retypes the named fields (`Type.field`) and arguments (`Type.field(arg)`) as
 * `ID`, keeping nullability and lists: the wire values are the same strings.
 */
function idTyped(...coordinates: string[]): SubgraphTransform {
  const wanted = new Set(coordinates);
  // Only wrappers around a scalar are retyped, so the result is valid as input and output alike.
  const retype = <T extends GraphQLInputType | GraphQLOutputType>(type: T): T => {
    if (type instanceof GraphQLNonNull) return new GraphQLNonNull(retype(type.ofType as T)) as unknown as T;
    if (type instanceof GraphQLList) return new GraphQLList(retype(type.ofType as T)) as unknown as T;
    return GraphQLID as T;
  };
  return (schema) =>
    mapSchema(schema, {
      [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) => {
        const args = Object.fromEntries(
          Object.entries(field.args ?? {}).map(([argName, arg]) => [argName, wanted.has(`${typeName}.${fieldName}(${argName})`) ? { ...arg, type: retype(arg.type) } : arg]),
        );
        return { ...field, args, ...(wanted.has(`${typeName}.${fieldName}`) ? { type: retype(field.type) } : {}) };
      },
    });
}

/**
 * The links between the sources, at the gateway: a product's stock from inventory (no batch
 * endpoint there, so one call per product, like Portico's), and the web BFF's dashboard, whose
 * fields call three sources (`Query.dashboard` itself is a resolver in the gateway config,
 * bench/hive/mesh.gateway.config.ts, as the web BFF's is in bffs/web/resolvers.ts).
 */
const additionalTypeDefs = /* GraphQL */ `
  extend type Product {
    stock: Stock
      @resolveTo(sourceName: "inventory", sourceTypeName: "Query", sourceFieldName: "stock", requiredSelectionSet: "{ id }", sourceArgs: { productId: "{root.id}" })
  }

  # Mesh drops number literals in sourceArgs and interpolates strings as strings, so the page
  # sizes come from the parent (a whole-placeholder template keeps the value's type).
  type Dashboard {
    user: User @resolveTo(sourceName: "users", sourceTypeName: "Query", sourceFieldName: "user", sourceArgs: { id: "{root.userId}" })
    recentOrders: [Order!]!
      @resolveTo(sourceName: "orders", sourceTypeName: "Query", sourceFieldName: "orders", sourceArgs: { userId: "{root.userId}", first: "{root.recentOrdersFirst}" })
    featuredProducts: ProductPage
      @resolveTo(sourceName: "products", sourceTypeName: "Query", sourceFieldName: "products", sourceArgs: { page: "{root.featuredPage}", pageSize: "{root.featuredPageSize}" })
  }

  extend type Query {
    dashboard(userId: ID!): Dashboard
  }
`;

/** Composes the supergraph from the running services and writes it to `dir`; returns the file. */
export async function composeDemoSupergraph(dir: string, urls: DemoUrls): Promise<string> {
  const sdl = await getComposedSchemaFromConfig(
    {
      subgraphs: [
        {
          // A plain GraphQL API: Mesh makes User an entity, fetched in bulk through usersByIds,
          // as Portico's `merge: { User: { key: 'id', field: 'usersByIds' } }` does.
          sourceHandler: loadGraphQLHTTPSubgraph('users', { endpoint: urls.users }),
          transforms: [createFederationTransform({ User: { key: { fields: 'id', resolveReference: { fieldName: 'usersByIds', keyArg: 'ids' } } } })],
        },
        {
          sourceHandler: loadGraphQLHTTPSubgraph('orders', { endpoint: urls.orders, source: ORDERS_SDL_FILE, federation: true }),
        },
        {
          sourceHandler: loadJSONSchemaSubgraph('products', {
            endpoint: urls.products,
            // ids=p1,p2 (the API's batch form), not ids=p1&ids=p2.
            queryStringOptions: { arrayFormat: 'comma' },
            operations: [
              {
                type: 'Query',
                field: 'products',
                path: '/products',
                method: 'GET',
                queryParamArgMap: { page: 'page', pageSize: 'pageSize' },
                argTypeMap: { page: int, pageSize: int },
                responseSchema: productPage,
              },
              {
                type: 'Query',
                field: 'productsByIds',
                path: '/products',
                method: 'GET',
                queryParamArgMap: { ids: 'ids' },
                argTypeMap: { ids: { type: 'array', items: id } },
                responseSchema: { type: 'array', items: product },
              },
            ],
          }),
          // Products are completed in bulk (GET /products?ids=…), like Portico's @batch.
          transforms: [idTyped('Product.id', 'Query.productsByIds(ids)'), createFederationTransform({ Product: { key: { fields: 'id', resolveReference: { fieldName: 'productsByIds', keyArg: 'ids' } } } })],
        },
        {
          sourceHandler: loadJSONSchemaSubgraph('inventory', {
            endpoint: urls.inventory,
            operations: [
              {
                type: 'Query',
                field: 'stock',
                path: '/inventory/{args.productId}',
                method: 'GET',
                responseSchema: stock,
              },
            ],
          }),
          transforms: [idTyped('Stock.productId', 'Query.stock(productId)')],
        },
      ],
      additionalTypeDefs,
    },
    new DefaultLogger('mesh-compose'),
  );
  const file = path.join(dir, 'mesh-supergraph.graphql');
  await writeFile(file, sdl);
  return file;
}
