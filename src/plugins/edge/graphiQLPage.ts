import { createRequire } from 'node:module';
import type { GraphiQLOptions } from 'graphql-yoga';

/**
 * Where GraphiQL's assets are served from, by the BFF itself (useGraphiQLAssets). The version of
 * `@graphql-yoga/render-graphiql` is in the path, so a browser may cache them for good and an
 * upgrade is a new URL.
 */
export const GRAPHIQL_ASSET_PREFIX = '/graphiql-assets';

/** `/graphiql-assets/<version>`: the URL path the page loads its assets from. */
export const GRAPHIQL_ASSET_BASE = `${GRAPHIQL_ASSET_PREFIX}/${(createRequire(import.meta.url)('@graphql-yoga/render-graphiql/package.json') as { version: string }).version}`;

/** The files under the prefix, by name: what yoga's own page loads from unpkg.com. */
export const GRAPHIQL_ASSET_FILES = {
  'graphiql.css': 'text/css; charset=utf-8',
  'yoga-graphiql.js': 'text/javascript; charset=utf-8',
  'editor.worker.js': 'text/javascript; charset=utf-8',
  'json.worker.js': 'text/javascript; charset=utf-8',
  'graphql.worker.js': 'text/javascript; charset=utf-8',
  'favicon.ico': 'image/x-icon',
} as const;

export type GraphiQLAssetFile = keyof typeof GRAPHIQL_ASSET_FILES;

/**
 * The GraphiQL page with every asset on this origin, so it renders with no internet access.
 * yoga's own page (graphql-yoga's `graphiql-html`) loads its script, stylesheet, Monaco workers
 * and favicon from unpkg.com and GitHub, and stays "Loading…" offline or behind a proxy; this is
 * the same markup and the same `renderYogaGraphiQL` call, pointed at `assetBase`.
 */
export function renderGraphiQLPage(options: GraphiQLOptions | undefined, assetBase: string): string {
  const asset = (file: GraphiQLAssetFile) => `${assetBase}/${file}`;
  // The workers are same-origin, so Monaco may start them from their URLs (no blob: needed).
  const workers = { editorWorkerService: asset('editor.worker.js'), json: asset('json.worker.js'), graphql: asset('graphql.worker.js') };
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <title>${escapeHtml(options?.title || 'GraphiQL')}</title>
    <link rel="icon" href="${asset('favicon.ico')}" />
    <link rel="stylesheet" href="${asset('graphiql.css')}" />
  </head>
  <body id="body" class="no-focus-outline">
    <noscript>You need to enable JavaScript to run GraphiQL.</noscript>
    <div id="root"></div>
    <script>
      self.MonacoEnvironment = { globalAPI: false, getWorkerUrl: (moduleId, label) => (${scriptJson(workers)})[label] };
    </script>
    <script src="${asset('yoga-graphiql.js')}"></script>
    <script>
      YogaGraphiQL.renderYogaGraphiQL(document.querySelector('#root'), ${scriptJson(options ?? {})});
    </script>
  </body>
</html>
`;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON that cannot end the `<script>` element it is written into. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c');
}
