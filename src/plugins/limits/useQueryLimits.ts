import { GraphQLError, type ParseOptions, type Source, type ValidationRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import { porticoError } from '../../errors/index.js';
import { measureOperations } from './measureOperations.js';

/** The query guards of one BFF; src/config/guardsSchema.ts documents each default. */
export interface QueryLimitsOptions {
  /** Deepest field nesting (graphql-depth-limit's count). @default 10 */
  maxDepth: number;
  /**
   * Deepest nesting counting introspection fields (`__schema`, `__type`, `ofType` …), which
   * `maxDepth` leaves out. @default 15
   */
  maxIntrospectionDepth: number;
  /** Aliased fields, counted as executed. @default 15 */
  maxAliases: number;
  /** Lexical tokens of the document; parsing stops past it. @default 1000 */
  maxTokens: number;
  /** Directives, counted as executed. @default 50 */
  maxDirectives: number;
  /** Operations in one batched (JSON array) request. @default 1, batching off */
  maxBatchedOperations: number;
}

/**
 * The query guards: each refuses a request with its own code, before anything runs, at the
 * cheapest point that can tell. Batches are counted as soon as the body is parsed
 * (TOO_MANY_OPERATIONS); tokens while graphql-js parses, which stops at the limit
 * (TOO_MANY_TOKENS); depth, aliases and directives in one linear pass at validation
 * (QUERY_TOO_DEEP, TOO_MANY_ALIASES, TOO_MANY_DIRECTIVES), cached with the validation result.
 * Introspection is measured like any other selection: its aliases and directives count, and its
 * depth is held to `maxIntrospectionDepth` (a 40-deep `ofType` chain is refused, production
 * mode or not).
 */
export function useQueryLimits(options: QueryLimitsOptions): Plugin {
  const { maxBatchedOperations, maxTokens } = options;
  const rule = queryLimitsRule(options);
  return {
    onRequestParse() {
      return {
        onRequestParseDone({ requestParserResult }) {
          if (Array.isArray(requestParserResult) && requestParserResult.length > maxBatchedOperations) {
            throw porticoError('TOO_MANY_OPERATIONS', { details: { operations: { count: requestParserResult.length, max: maxBatchedOperations } } });
          }
        },
      };
    },
    onParse({ parseFn, setParseFn }) {
      setParseFn((source: string | Source, parseOptions?: ParseOptions) => {
        try {
          return parseFn(source, { ...parseOptions, maxTokens });
        } catch (error) {
          if (isTokenLimitError(error)) throw porticoError('TOO_MANY_TOKENS', { details: { tokens: { max: maxTokens } } });
          throw error;
        }
      });
    },
    onValidate({ addValidationRule }) {
      addValidationRule(rule);
    },
  };
}

/** One validation rule for the three document-shape limits, reporting each one exceeded. */
export function queryLimitsRule(limits: Pick<QueryLimitsOptions, 'maxDepth' | 'maxAliases' | 'maxDirectives'> & Partial<Pick<QueryLimitsOptions, 'maxIntrospectionDepth'>>): ValidationRule {
  // Counting introspection fields only ever adds depth, so the higher of the two limits applies.
  const maxIntrospectionDepth = Math.max(limits.maxDepth, limits.maxIntrospectionDepth ?? 15);
  return function PorticoQueryLimits(context) {
    return {
      Document(document) {
        for (const [operation, measure] of measureOperations(document)) {
          const nodes = [operation];
          if (measure.depth > limits.maxDepth) {
            context.reportError(porticoError('QUERY_TOO_DEEP', { nodes, details: { depth: { actual: measure.depth, max: limits.maxDepth } } }));
          } else if (measure.introspectionDepth > maxIntrospectionDepth) {
            context.reportError(
              porticoError('QUERY_TOO_DEEP', {
                nodes,
                details: { depth: { actual: measure.introspectionDepth, max: maxIntrospectionDepth, introspection: true } },
              }),
            );
          }
          if (measure.aliases > limits.maxAliases) {
            context.reportError(porticoError('TOO_MANY_ALIASES', { nodes, details: { aliases: { actual: measure.aliases, max: limits.maxAliases } } }));
          }
          if (measure.directives > limits.maxDirectives) {
            context.reportError(
              porticoError('TOO_MANY_DIRECTIVES', { nodes, details: { directives: { actual: measure.directives, max: limits.maxDirectives } } }),
            );
          }
        }
        // Nothing below the document needs this rule's attention.
        return false;
      },
    };
  };
}

/** graphql-js has no code for it; its message has read "Document contains more that N tokens" since 16.4. */
function isTokenLimitError(error: unknown): boolean {
  return error instanceof GraphQLError && /Document contains more th(?:at|an) \d+ tokens/.test(error.message);
}
