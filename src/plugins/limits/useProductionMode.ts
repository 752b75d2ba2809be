import { NoSchemaIntrospectionCustomRule } from 'graphql';
import type { Plugin } from 'graphql-yoga';

/**
 * Production BFFs do not describe their schema to strangers: introspection is refused at
 * validation, and "Did you mean …?" suggestions are stripped so field names cannot be probed,
 * from validation errors and from the variable errors of execution (which name enum values).
 */
export function useProductionMode(): Plugin {
  return {
    onValidate({ addValidationRule }) {
      addValidationRule(NoSchemaIntrospectionCustomRule);
      return ({ result, setResult }) => {
        if (result.length === 0) return;
        setResult(result.map(stripSuggestion));
      };
    },
    onExecute() {
      return {
        onExecuteDone({ result, setResult }) {
          if (Symbol.asyncIterator in result || !result.errors?.some((error) => error.message.includes(' Did you mean'))) return;
          setResult({ ...result, errors: result.errors.map(stripSuggestion) });
        },
      };
    },
  };
}

function stripSuggestion<E extends { message: string }>(error: E): E {
  const at = error.message.indexOf(' Did you mean');
  if (at === -1) return error;
  // Errors are frozen-ish GraphQLErrors; a copy with the shorter message keeps locations.
  const copy = Object.create(Object.getPrototypeOf(error) as object, Object.getOwnPropertyDescriptors(error)) as E;
  Object.defineProperty(copy, 'message', { value: error.message.slice(0, at), enumerable: true });
  return copy;
}
