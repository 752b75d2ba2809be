import { Lexer, Source, TokenKind } from 'graphql';

const OPERATION_KEYWORDS = new Set(['query', 'mutation', 'subscription']);

/**
 * The name of the first named operation in a document, found by lexing only: for a request
 * that did not send `operationName` (many clients leave it out when the document holds one
 * operation), before yoga parses the document. Lexing is a fraction of a parse and stops at the
 * first operation. Undefined for an anonymous operation, or text that does not lex.
 */
export function operationNameOf(query: string): string | undefined {
  try {
    const lexer = new Lexer(new Source(query));
    let depth = 0;
    // A definition starts at the top level, first in the document or after a closing brace.
    let atDefinitionStart = true;
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance()) {
      if (depth === 0 && atDefinitionStart) {
        // `{ … }`: an anonymous query. A fragment is skipped; the operation may follow it.
        if (token.kind === TokenKind.BRACE_L) return undefined;
        if (token.kind === TokenKind.NAME && OPERATION_KEYWORDS.has(token.value)) {
          const next = lexer.advance();
          return next.kind === TokenKind.NAME ? next.value : undefined;
        }
      }
      atDefinitionStart = false;
      if (token.kind === TokenKind.BRACE_L) depth++;
      else if (token.kind === TokenKind.BRACE_R && --depth === 0) atDefinitionStart = true;
    }
  } catch {
    // Not valid GraphQL: parsing will report it; it has no priority of its own.
  }
  return undefined;
}
