import type { DocumentNode, GraphQLSchema, ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { LRUCache } from 'lru-cache';

export interface DocumentCacheOptions {
  /**
   * Operation texts whose parsed document (or parse error) is kept, least recently used first out.
   * @default 1000 (yoga's own default)
   */
  maxDocuments?: number;
  /**
   * Distinct sets of validation rules whose results are kept: plugins add rules per request, and
   * a set is one combination of them.
   * @default 100
   */
  maxRuleSets?: number;
}

/**
 * Parses and validates each operation text once: the parsed document by its text, a parse error
 * by its text, and a validation result by (rule set, schema, document), as yoga's own cache does
 * (the server turns yoga's off: src/server/createBffServer.ts). It must be the last plugin with
 * onValidate, so that every rule the plugins before it added is in the set it keys by.
 *
 * Why not yoga's: it names a request's rule set by mapping every rule (35 of them here) to its
 * name and joining them, on every request, ~1 % of a small query's CPU. Here the set's name is
 * kept with the rules it was made from, and reused while a request's rules are the same
 * functions in the same order: a comparison of references, not 35 reads of `Function.name` and a
 * string join.
 */
export function useDocumentCache(options: DocumentCacheOptions = {}): Plugin {
  const max = options.maxDocuments ?? 1000;
  const documents = new LRUCache<string, DocumentNode>({ max });
  const parseErrors = new LRUCache<string, Error>({ max });
  const byRuleSet = new LRUCache<string, WeakMap<GraphQLSchema, WeakMap<DocumentNode, readonly Error[]>>>({ max: options.maxRuleSets ?? 100 });
  let lastRules: readonly ValidationRule[] = [];
  let lastKey = '';
  const ruleSetKey = (rules: readonly ValidationRule[] | undefined): string => {
    if (rules === undefined) return '';
    if (rules.length === lastRules.length && rules.every((rule, i) => rule === lastRules[i])) return lastKey;
    lastRules = [...rules];
    lastKey = rules.map((rule) => rule.name).join(',');
    return lastKey;
  };

  return {
    onParse({ params, setParsedDocument }) {
      const text = params.source.toString();
      const document = documents.get(text);
      if (document) {
        setParsedDocument(document);
        return;
      }
      const error = parseErrors.get(text);
      if (error) throw error;
      return ({ result }) => {
        if (result instanceof Error) parseErrors.set(text, result);
        else if (result != null) documents.set(text, result);
      };
    },
    onValidate({ params: { schema, documentAST, rules }, setResult }) {
      if (schema == null) return;
      const key = ruleSetKey(rules);
      let bySchema = byRuleSet.get(key);
      if (!bySchema) byRuleSet.set(key, (bySchema = new WeakMap()));
      let byDocument = bySchema.get(schema);
      if (!byDocument) bySchema.set(schema, (byDocument = new WeakMap()));
      const cached = byDocument.get(documentAST);
      if (cached) {
        setResult(cached);
        return;
      }
      const store = byDocument;
      return ({ result }) => {
        if (result) store.set(documentAST, result);
      };
    },
  };
}
