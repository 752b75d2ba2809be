import type { Plugin } from 'graphql-yoga';
import { GRAPHIQL_ASSET_BASE, GRAPHIQL_ASSET_FILES, type GraphiQLAssetFile } from './graphiQLPage.js';

export interface GraphiQLAssetsOptions {
  /**
   * URL path the files are served under; the page (renderGraphiQLPage) must point at the same.
   * @default GRAPHIQL_ASSET_BASE: `/graphiql-assets/<@graphql-yoga/render-graphiql version>`
   */
  base?: string;
}

type Assets = Readonly<Record<GraphiQLAssetFile, Uint8Array<ArrayBuffer>>>;

/**
 * Serves GraphiQL's script, stylesheet, Monaco workers and favicon from the BFF itself, out of
 * the `@graphql-yoga/render-graphiql` package (which ships them as strings), so the GraphiQL
 * page works without internet access. Installed only where GraphiQL is (not in production mode).
 * The files (about 9 MB) are loaded on the first asset request, never by a BFF nobody opens
 * GraphiQL on, and sent with a year's `immutable` caching: the version is in the path.
 */
export function useGraphiQLAssets(options: GraphiQLAssetsOptions = {}): Plugin {
  const base = `${options.base ?? GRAPHIQL_ASSET_BASE}/`;
  let assets: Promise<Assets> | undefined;
  return {
    onRequest({ url, request, endResponse, fetchAPI }) {
      if (!url.pathname.startsWith(base)) return;
      const file = url.pathname.slice(base.length);
      if (!Object.hasOwn(GRAPHIQL_ASSET_FILES, file) || (request.method !== 'GET' && request.method !== 'HEAD')) {
        endResponse(new fetchAPI.Response(null, { status: 404 }));
        return;
      }
      return (assets ??= loadAssets()).then((loaded) => {
        const body = loaded[file as GraphiQLAssetFile];
        endResponse(
          new fetchAPI.Response(request.method === 'HEAD' ? null : body, {
            status: 200,
            headers: {
              'content-type': GRAPHIQL_ASSET_FILES[file as GraphiQLAssetFile],
              'content-length': String(body.byteLength),
              'cache-control': 'public, max-age=31536000, immutable',
            },
          }),
        );
      });
    },
  };
}

async function loadAssets(): Promise<Assets> {
  const bundle = await import('@graphql-yoga/render-graphiql/graphiql');
  const text = (value: string) => new TextEncoder().encode(value);
  return {
    'graphiql.css': text(bundle.css),
    'yoga-graphiql.js': text(bundle.js),
    'editor.worker.js': text(bundle.editorWorkerService),
    'json.worker.js': text(bundle.jsonWorker),
    'graphql.worker.js': text(bundle.graphqlWorker),
    // A data: URL in the package.
    'favicon.ico': new Uint8Array(Buffer.from(bundle.favicon.slice(bundle.favicon.indexOf(',') + 1), 'base64')),
  };
}
