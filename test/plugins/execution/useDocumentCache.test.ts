import { envelop, useEngine, type Plugin } from '@envelop/core';
import { buildSchema, GraphQLError, parse, specifiedRules, validate, type ValidationRule } from 'graphql';
import { describe, expect, it } from 'vitest';
import { useDocumentCache } from '../../../src/plugins/execution/useDocumentCache.js';

// Parsing and validation run once per operation text (and rule set), as with yoga's own cache,
// which the server turns off in favour of this one.

const schema = buildSchema('type Query { hello: String, bye: String }');

function setup(extra: Plugin[] = [], options: Parameters<typeof useDocumentCache>[0] = {}) {
  const calls = { parse: 0, validate: 0 };
  const getEnveloped = envelop({
    plugins: [
      useEngine({
        parse: (source, opts) => {
          calls.parse++;
          return parse(source, opts);
        },
        validate: (s, document, rules, ...rest) => {
          calls.validate++;
          return validate(s, document, rules, ...rest);
        },
        specifiedRules,
      }),
      ...extra,
      useDocumentCache(options),
    ],
  });
  const run = (query: string, context: Record<string, unknown> = {}): readonly Error[] => {
    const { parse: parseFn, validate: validateFn } = getEnveloped(context);
    const document = parseFn(query);
    return validateFn(schema, document);
  };
  return { calls, run };
}

/** A plugin that adds a rule of its own only when the context asks for it. */
function useOptionalRule(rule: ValidationRule): Plugin<{ strict?: boolean }> {
  return {
    onValidate({ context, addValidationRule }) {
      if (context.strict) addValidationRule(rule);
    },
  };
}

describe('useDocumentCache', () => {
  it('parses and validates an operation text once, however often it comes', () => {
    const { calls, run } = setup();
    expect(run('{ hello }')).toEqual([]);
    expect(run('{ hello }')).toEqual([]);
    expect(run('{ bye }')).toEqual([]);
    expect(calls).toEqual({ parse: 2, validate: 2 });
  });

  it('keeps a validation error with its document, and a parse error with its text', () => {
    const { calls, run } = setup();
    const first = run('{ nope }');
    expect(first.map((error: Error) => error.message)).toEqual(['Cannot query field "nope" on type "Query".']);
    expect(run('{ nope }')).toBe(first);
    expect(() => run('{ hello')).toThrow(/Syntax Error/);
    expect(() => run('{ hello')).toThrow(/Syntax Error/);
    expect(calls).toEqual({ parse: 2, validate: 1 });
  });

  it('validates again under another rule set: a rule a plugin adds for one request is not skipped for it', () => {
    const noBye: ValidationRule = (context) => ({
      Field(node) {
        if (node.name.value === 'bye') context.reportError(new GraphQLError('no bye here'));
      },
    });
    const { calls, run } = setup([useOptionalRule(noBye) as Plugin]);
    expect(run('{ bye }')).toEqual([]);
    expect(run('{ bye }', { strict: true }).map((error: Error) => error.message)).toEqual(['no bye here']);
    expect(run('{ bye }', { strict: true }).map((error: Error) => error.message)).toEqual(['no bye here']);
    expect(run('{ bye }')).toEqual([]);
    expect(calls.validate).toBe(2);
  });

  it('keeps at most maxDocuments texts, the least recently used going first', () => {
    const { calls, run } = setup([], { maxDocuments: 2 });
    run('{ hello }');
    run('{ bye }');
    run('{ hello }');
    run('{ hello bye }');
    expect(calls.parse).toBe(3);
    run('{ hello }');
    expect(calls.parse).toBe(3);
    run('{ bye }');
    expect(calls.parse).toBe(4);
  });
});
