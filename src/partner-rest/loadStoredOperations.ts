import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse, type GraphQLSchema } from 'graphql';
import { ConfigError, displayPath } from '../config/configError.js';
import type { LoadedBff } from '../config/loadConfig.js';
import { createDocumentStore, parseStoreFile, type StoreEntry } from '../plugins/trusted-documents/documentStore.js';
import type { TrustedDocumentsOptions } from '../plugins/trusted-documents/useTrustedDocuments.js';
import { compileRoutes } from './compileRoutes.js';
import type { PartnerRoutes } from './usePartnerRoutes.js';

/** What the pipeline needs to serve a BFF's stored operations; each part absent when not configured. */
export interface StoredOperations {
  routes?: PartnerRoutes;
  trustedDocuments?: TrustedDocumentsOptions;
}

/**
 * Reads and checks a BFF's stored operations at start-up: its REST routes (compiled against the
 * composed schema) and its trusted-documents store. The routes' operations are part of the
 * store — one set of stored operations serves both the REST routes and clients that send
 * document ids — so a BFF in 'stored-only' mode still answers its routes.
 */
export async function loadStoredOperations(bff: LoadedBff, schema: GraphQLSchema): Promise<StoredOperations> {
  const file = displayPath(bff.file);
  const result: StoredOperations = {};
  if (bff.routes) {
    const table = await compileRoutes(bff.file, bff.routes, schema);
    for (const route of table.routes) {
      const successor = route.config.deprecated?.successor;
      if (!successor) continue;
      const target = table.routes.find((other) => other.path.template === successor);
      const key = `routes.endpoints[${route.index}].deprecated.successor`;
      if (!target) throw new ConfigError(file, key, `no route has the path "${successor}"`);
      const missing = target.path.segments.find((s) => 'param' in s && !route.path.segments.some((own) => 'param' in own && own.param === s.param));
      if (missing && 'param' in missing) throw new ConfigError(file, key, `"${successor}" needs :${missing.param}, which "${route.path.template}" does not have`);
    }
    const { auth } = bff;
    result.routes = {
      table,
      schema,
      graphqlPath: bff.path,
      security: {
        bearer: auth.jwt !== undefined,
        ...(auth.apiKeys.enabled ? { apiKeyHeader: auth.apiKeys.header } : {}),
        anonymous: auth.anonymous === 'allow',
        ...(auth.partnerCredentials === 'apiKey' ? {} : { mutualTls: auth.partnerCredentials === 'both' ? ('withApiKey' as const) : ('alone' as const) }),
      },
    };
  }

  if (bff.trustedDocuments) {
    const entries: StoreEntry[] = [];
    if (bff.trustedDocuments.store) entries.push(...(await readStore(bff, bff.trustedDocuments.store)));
    entries.push(...(result.routes?.table.routes ?? []).map((route) => ({ body: route.document })));
    if (entries.length === 0 && bff.trustedDocuments.mode === 'stored-only') {
      throw new ConfigError(file, 'trustedDocuments.store', 'stored-only mode with no store and no routes would refuse every request');
    }
    result.trustedDocuments = { store: createDocumentStore(entries), mode: bff.trustedDocuments.mode };
  }
  return result;
}

async function readStore(bff: LoadedBff, store: string): Promise<StoreEntry[]> {
  const file = displayPath(bff.file);
  const storeFile = path.resolve(path.dirname(bff.file), store);
  let json: unknown;
  try {
    json = JSON.parse(await readFile(storeFile, 'utf8'));
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'does not exist (build it with `portico documents build`)' : 'is not JSON';
    throw new ConfigError(file, 'trustedDocuments.store', `${displayPath(storeFile)} ${why}`);
  }
  let entries: StoreEntry[];
  try {
    entries = parseStoreFile(json);
  } catch (error) {
    throw new ConfigError(file, 'trustedDocuments.store', `${displayPath(storeFile)}: ${(error as Error).message}`);
  }
  for (const entry of entries) {
    try {
      parse(entry.body);
    } catch (error) {
      throw new ConfigError(file, 'trustedDocuments.store', `${displayPath(storeFile)}: document ${entry.id ?? ''} does not parse: ${(error as Error).message}`);
    }
  }
  return entries;
}
