import type { Plugin } from 'graphql-yoga';
import { porticoError } from '../../errors/index.js';
import { GRAPHQL_PARAMETERS, scanJson } from './scanJson.js';

export interface RequestShapeOptions {
  /**
   * Deepest nesting of request JSON: a POST body, or a GET's `variables`/`extensions`.
   * @default 64: see src/config/guardsSchema.ts `limits.maxJsonDepth`
   */
  maxJsonDepth?: number;
}

/**
 * Refuses ambiguous and abusive request shapes before any JSON or GraphQL is parsed:
 *
 * - a GraphQL parameter (`query`, `operationName`, `variables`, `extensions`) given twice, in
 *   the query string, in a JSON body, or in both: 400 DUPLICATE_PARAMETER. Picking one would let
 *   a proxy, a WAF or a log read a different operation than the one that runs.
 * - JSON nested deeper than `maxJsonDepth`: 400 JSON_TOO_DEEP, found by a linear scan, so
 *   neither JSON.parse nor anything that walks variables recurses over it.
 *
 * A JSON POST body is read here as text (the same one read yoga's parser would do) and parsed
 * once it passed; yoga's own checks and messages for it are kept.
 */
export function useRequestShape(options: RequestShapeOptions = {}): Plugin {
  const maxJsonDepth = options.maxJsonDepth ?? 64;
  const tooDeep = () => porticoError('JSON_TOO_DEEP', { details: { maxJsonDepth } });
  const duplicate = (parameter: string) => porticoError('DUPLICATE_PARAMETER', { details: { parameter } });
  // One parser for every POST without GraphQL parameters in its URL (nearly all): no closure,
  // and no Set, per request, each living until the body has been read.
  const parseBody = async (req: Request, inUrl: Set<string> | undefined): Promise<never> => {
    let text: string;
    try {
      text = await req.text();
    } catch {
      throw porticoError('BAD_REQUEST', { message: 'The request body could not be read.' });
    }
    const scan = scanJson(text, maxJsonDepth);
    if (!scan.ok) throw 'tooDeep' in scan ? tooDeep() : duplicate(scan.duplicate);
    if (inUrl !== undefined) for (const key of scan.keys) if (inUrl.has(key)) throw duplicate(key);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw porticoError('BAD_REQUEST', { message: 'POST body sent invalid JSON.' });
    }
    if (body === null || typeof body !== 'object') {
      throw porticoError('BAD_REQUEST', { message: `POST body is expected to be object but received ${body === null ? 'null' : typeof body}` });
    }
    return body as never;
  };
  const parseWithoutUrlParameters = (req: Request) => parseBody(req, undefined);
  return {
    onRequestParse({ request, url, setRequestParser }) {
      let inUrl: Set<string> | undefined;
      if (url.search !== '') {
        for (const name of url.searchParams.keys()) {
          if (!GRAPHQL_PARAMETERS.has(name)) continue;
          if (inUrl?.has(name)) throw duplicate(name);
          (inUrl ??= new Set()).add(name);
        }
      }
      if (request.method === 'GET') {
        for (const name of ['variables', 'extensions']) {
          const value = url.searchParams.get(name);
          if (value !== null) {
            const scan = scanJson(value, maxJsonDepth);
            if (!scan.ok && 'tooDeep' in scan) throw tooDeep();
          }
        }
        return;
      }
      if (request.method !== 'POST' || !isJson(request.headers.get('content-type'))) return;
      setRequestParser(inUrl === undefined ? parseWithoutUrlParameters : (req) => parseBody(req, inUrl));
    },
  };
}

function isJson(contentType: string | null): boolean {
  const type = contentType?.split(',')[0] ?? '';
  return ['application/json', 'application/graphql+json'].some((expected) => type === expected || type.startsWith(`${expected};`));
}
