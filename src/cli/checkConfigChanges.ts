import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { diff, CriticalityLevel } from '@graphql-inspector/core';
import {
  Kind,
  TypeInfo,
  parse,
  validate,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import type { LoadedBff, PorticoConfig } from '../config/loadConfig.js';
import { ConfigError } from '../config/configError.js';
import { buildSourceRuntime, type SourceRuntime } from '../compose/buildSourceRuntime.js';
import { composeBffSchema } from '../compose/composeBffSchema.js';
import { parseStoreFile } from '../plugins/trusted-documents/documentStore.js';
import { compileRoutes, type CompiledRoute } from '../partner-rest/compileRoutes.js';
import { buildOpenApi } from '../partner-rest/buildOpenApi.js';
import { diffOpenApi, type OpenApiChange } from './diffOpenApi.js';

export type ChangeLevel = 'breaking' | 'dangerous' | 'safe';

export interface SchemaChange {
  level: ChangeLevel;
  /** graphql-inspector's change type, e.g. FIELD_REMOVED, FIELD_ARGUMENT_REMOVED. */
  type: string;
  message: string;
  /** The schema coordinate changed: `Type`, `Type.field` or `Type.field.argument`. */
  path?: string;
  /** The stored operations (routes, trusted documents) that use what changed. */
  affects: string[];
}

/** A partner route or trusted document of the working config, validated against its new schema. */
export interface OperationCheck {
  kind: 'route' | 'document';
  /** `GET /v1/orders (listOrders)` or `document ListOrders (3f2a…)`. */
  name: string;
  errors: string[];
}

export interface BffCheck {
  bff: string;
  status: 'changed' | 'unchanged' | 'added' | 'removed';
  changes: SchemaChange[];
  /** Only the operations that no longer validate; `checked` counts all of them. */
  broken: OperationCheck[];
  checked: { routes: number; documents: number };
  openApi: OpenApiChange[];
}

export interface CheckReport {
  against: string;
  bffs: BffCheck[];
  summary: { breaking: number; dangerous: number; safe: number; brokenOperations: number; openApiBreaking: number };
  /** False when anything breaks a client: a breaking schema or OpenAPI change, or a stored operation that no longer validates. */
  ok: boolean;
}

interface BuiltBff {
  bff: LoadedBff;
  schema: GraphQLSchema;
  operations: { kind: OperationCheck['kind']; name: string; document: DocumentNode | undefined; errors: string[] }[];
  openApi: Map<string, Record<string, unknown>>;
}

/**
 * `portico check`: compares every BFF of `current` (the working config) with the same BFF of
 * `baseline` (the one it is checked against). Schemas are built as start-up builds them, but
 * nothing is started or called; graphql-inspector classifies the schema changes; every partner
 * route and trusted document of the working config is validated against its new schema; the
 * OpenAPI documents of the two configs are compared (diffOpenApi.ts).
 */
export async function checkConfigChanges(current: PorticoConfig, baseline: PorticoConfig, against: string): Promise<CheckReport> {
  const now = await buildAll(current);
  const before = await buildAll(baseline);
  const bffs: BffCheck[] = [];
  for (const [name, built] of now) {
    const old = before.get(name);
    const broken = built.operations.filter((operation) => operation.errors.length > 0).map(({ kind, name: label, errors }) => ({ kind, name: label, errors }));
    const checked = {
      routes: built.operations.filter((operation) => operation.kind === 'route').length,
      documents: built.operations.filter((operation) => operation.kind === 'document').length,
    };
    if (!old) {
      bffs.push({ bff: name, status: 'added', changes: [], broken, checked, openApi: [] });
      continue;
    }
    const changes: SchemaChange[] = [];
    for (const change of await diff(old.schema, built.schema)) {
      const level: ChangeLevel =
        change.criticality.level === CriticalityLevel.Breaking ? 'breaking' : change.criticality.level === CriticalityLevel.Dangerous ? 'dangerous' : 'safe';
      const affects = change.path ? operationsUsing(old.schema, built.operations, change.path) : [];
      changes.push({ level, type: change.type, message: change.message, ...(change.path ? { path: change.path } : {}), affects });
    }
    const openApi: OpenApiChange[] = [];
    for (const version of new Set([...old.openApi.keys(), ...built.openApi.keys()])) {
      openApi.push(...diffOpenApi(old.openApi.get(version) ?? {}, built.openApi.get(version) ?? {}, version));
    }
    const status = changes.length > 0 || openApi.length > 0 || broken.length > 0 ? 'changed' : 'unchanged';
    bffs.push({ bff: name, status, changes, broken, checked, openApi });
  }
  for (const name of before.keys()) {
    if (now.has(name)) continue;
    bffs.push({
      bff: name,
      status: 'removed',
      changes: [{ level: 'breaking', type: 'BFF_REMOVED', message: `BFF ${name} was removed: every client of it breaks`, affects: [] }],
      broken: [],
      checked: { routes: 0, documents: 0 },
      openApi: [],
    });
  }
  const all = bffs.flatMap((bff) => bff.changes);
  const summary = {
    breaking: all.filter((change) => change.level === 'breaking').length,
    dangerous: all.filter((change) => change.level === 'dangerous').length,
    safe: all.filter((change) => change.level === 'safe').length,
    brokenOperations: bffs.reduce((sum, bff) => sum + bff.broken.length, 0),
    openApiBreaking: bffs.reduce((sum, bff) => sum + bff.openApi.filter((change) => change.level === 'breaking').length, 0),
  };
  return { against, bffs, summary, ok: summary.breaking === 0 && summary.brokenOperations === 0 && summary.openApiBreaking === 0 };
}

async function buildAll(config: PorticoConfig): Promise<Map<string, BuiltBff>> {
  // Each source built once, as at start-up; no call can leave: nothing here executes.
  const runtimes = new Map<string, SourceRuntime>();
  const refuse = () => () => Promise.reject(new Error('portico check calls no source'));
  for (const name of new Set(config.bffs.flatMap((bff) => bff.sources))) {
    runtimes.set(name, buildSourceRuntime(config.sources[name]!, { httpFor: refuse }));
  }
  const built = new Map<string, BuiltBff>();
  for (const bff of config.bffs) {
    const { schema } = composeBffSchema(bff, runtimes);
    const operations: BuiltBff['operations'] = [];
    const openApi = new Map<string, Record<string, unknown>>();
    if (bff.routes) {
      const compiled: CompiledRoute[] = [];
      for (const endpoint of bff.routes.endpoints) {
        const name = `${endpoint.method} ${endpoint.path}`;
        const file = path.resolve(path.dirname(bff.file), endpoint.operation);
        const document = await readDocument(file);
        try {
          // One route at a time, so one broken route does not hide the others.
          compiled.push(...(await compileRoutes(bff.file, { ...bff.routes, endpoints: [endpoint] }, schema)).routes);
          operations.push({ kind: 'route', name, document, errors: [] });
        } catch (error) {
          if (!(error instanceof ConfigError)) throw error;
          const errors = document ? validate(schema, document).map((e) => e.message) : [];
          operations.push({ kind: 'route', name, document, errors: errors.length > 0 ? errors : [error.problem] });
        }
      }
      const byVersion = new Map<string, CompiledRoute[]>();
      for (const route of compiled) byVersion.set(route.path.version, [...(byVersion.get(route.path.version) ?? []), route]);
      for (const [version, routes] of byVersion) {
        openApi.set(
          version,
          buildOpenApi(routes, {
            schema,
            title: bff.routes.title,
            version,
            security: { bearer: bff.auth.jwt !== undefined, anonymous: bff.auth.anonymous === 'allow', ...(bff.auth.apiKeys.enabled ? { apiKeyHeader: bff.auth.apiKeys.header } : {}) },
          }),
        );
      }
    }
    if (bff.trustedDocuments?.store) {
      const storeFile = path.resolve(path.dirname(bff.file), bff.trustedDocuments.store);
      const entries = parseStoreFile(JSON.parse(await readFile(storeFile, 'utf8')));
      for (const entry of entries) {
        let document: DocumentNode | undefined;
        let errors: string[];
        try {
          document = parse(entry.body);
          errors = validate(schema, document).map((e) => e.message);
        } catch (error) {
          errors = [(error as Error).message];
        }
        const operationName = document?.definitions.find((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION)?.name?.value;
        operations.push({ kind: 'document', name: `document ${operationName ?? '(anonymous)'} (${(entry.id ?? '').slice(0, 12)})`, document, errors });
      }
    }
    built.set(bff.name, { bff, schema, operations, openApi });
  }
  return built;
}

async function readDocument(file: string): Promise<DocumentNode | undefined> {
  try {
    return parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The operations whose selections (read against the old schema) touch `coordinate` or anything under it. */
function operationsUsing(oldSchema: GraphQLSchema, operations: BuiltBff['operations'], coordinate: string): string[] {
  return operations
    .filter(({ document }) => document && [...coordinatesOf(oldSchema, document)].some((used) => used === coordinate || used.startsWith(`${coordinate}.`)))
    .map(({ name }) => name);
}

function coordinatesOf(schema: GraphQLSchema, document: DocumentNode): Set<string> {
  const used = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (!parent) return;
        used.add(`${parent.name}.${node.name.value}`);
        for (const argument of node.arguments ?? []) used.add(`${parent.name}.${node.name.value}.${argument.name.value}`);
      },
    }),
  );
  return used;
}
