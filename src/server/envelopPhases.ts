import { GraphQLError, type DocumentNode, type ExecutionArgs, type ExecutionResult, type GraphQLSchema, type ValidationRule } from 'graphql';
import { documentStringMap, finalAsyncIterator, isAsyncIterable, mapAsyncIterator } from '@envelop/core';
import type { GraphQLParams, Plugin, YogaServer } from 'graphql-yoga';

/**
 * yoga's params handler (parse → validate → context → execute, `server.handleParams`) for a
 * query or mutation, with envelop's hooks for parse, validate and execute called in one loop per
 * phase instead of through envelop's orchestrator.
 *
 * Why: per request and per hook, the orchestrator builds a payload with its own setter closures
 * (three per `onExecute` hook; a BFF's pipeline has five to ten) and runs each phase through
 * `@whatwg-node/promise-helpers` chains, whether or not a hook is asynchronous. Under the
 * single-subgraph benchmark that was about a third of what a request allocated (bench/README.md,
 * "Speed work" 12). Here each phase builds one payload that all its hooks share, its values
 * updated as hooks change them, and awaits only a hook that returns a promise.
 *
 * What stays the same: the hooks, their order (the plugin list's), their payloads' fields and
 * what each setter does, the `after` callbacks (`onParse`'s, `onValidate`'s, `onExecuteDone`
 * with its `onNext`/`onEnd`), the document's source in envelop's `documentStringMap`, and, from
 * `getEnveloped` itself, `onEnveloped`, the current schema and the context factory (with its
 * error handlers). Errors become `{ errors }` as yoga's handler makes them (masking is off in
 * yoga: the pipeline's useErrorMasking masks).
 *
 * What it does not take (returns `undefined`, and the caller runs yoga's own handler): a request
 * without query text, and any text that may be a subscription or use @defer/@stream, whose
 * results are event streams with hooks of their own. A false match costs only the faster path.
 */
export type EnvelopPhases = (request: Request, params: GraphQLParams, context: Record<string, unknown>) => Awaitable<Result> | undefined;

type AnyPlugin = Plugin<Record<string, unknown>, Record<string, unknown>, Record<string, unknown>>;
type Awaitable<T> = T | Promise<T>;
type Hook = (payload: never) => unknown;
type ExtendContext = (extension: object) => void;
type ParseFn = (source: string, options?: unknown) => DocumentNode;
type ValidateFn = (schema: GraphQLSchema, document: DocumentNode, rules?: readonly ValidationRule[], typeInfo?: unknown, options?: unknown) => readonly GraphQLError[];
type ExecuteFn = (args: ExecutionArgs) => Awaitable<ExecutionResult | AsyncIterable<ExecutionResult>>;
export type Result = ExecutionResult | AsyncIterable<ExecutionResult>;
interface AfterExecute {
  onExecuteDone?: (payload: never) => unknown;
}
interface StreamHooks {
  onNext?: (payload: never) => unknown;
  onEnd?: () => void;
}

/** Which text may be an event stream: a subscription, or an operation that uses @defer or @stream. */
const STREAMING = /subscription|@defer|@stream/;

export function createEnvelopPhases<S extends Record<string, unknown>, U extends Record<string, unknown>>(server: YogaServer<S, U>): EnvelopPhases {
  const plugins = server.getEnveloped._plugins as AnyPlugin[];
  const hooksOf = (name: 'onParse' | 'onValidate' | 'onExecute') => plugins.flatMap((plugin) => (plugin?.[name] ? [plugin[name] as Hook] : []));
  const parseHooks = hooksOf('onParse');
  const validateHooks = hooksOf('onValidate');
  const executeHooks = hooksOf('onExecute');

  const parse = (source: string, context: Record<string, unknown>, extendContext: ExtendContext): DocumentNode => {
    let parseFn: ParseFn = missing('parse');
    let result: DocumentNode | Error | null = null;
    const after: Hook[] = [];
    const payload = {
      context,
      extendContext,
      params: { source, options: undefined },
      parseFn,
      setParseFn(next: ParseFn) {
        parseFn = next;
        payload.parseFn = next;
      },
      setParsedDocument(next: DocumentNode) {
        result = next;
      },
    };
    for (const hook of parseHooks) {
      const done = hook(payload as never);
      if (typeof done === 'function') after.push(done as Hook);
    }
    if (result === null) {
      try {
        result = parseFn(source);
      } catch (error) {
        result = error as Error;
      }
    }
    if (after.length > 0) {
      const done = {
        context,
        extendContext,
        result: result as DocumentNode | Error | null,
        replaceParseResult(next: DocumentNode | Error) {
          result = next;
        },
      };
      for (const hook of after) {
        // Each after hook sees the result as the hooks before it left it.
        done.result = result;
        hook(done as never);
      }
    }
    if (result === null) throw new Error('Failed to parse document.');
    if (result instanceof Error) throw result;
    documentStringMap.set(result, source);
    return result;
  };

  const validate = (schema: GraphQLSchema, document: DocumentNode, context: Record<string, unknown>, extendContext: ExtendContext): readonly GraphQLError[] => {
    let validateFn: ValidateFn = missing('validate');
    let rules: ValidationRule[] | undefined;
    let result: readonly GraphQLError[] | null = null;
    const after: Hook[] = [];
    const params = { schema, documentAST: document, rules, typeInfo: undefined, options: undefined };
    const payload = {
      context,
      extendContext,
      params,
      validateFn,
      addValidationRule(rule: ValidationRule) {
        (rules ??= []).push(rule);
        params.rules = rules;
      },
      setValidationFn(next: ValidateFn) {
        validateFn = next;
        payload.validateFn = next;
      },
      setResult(next: readonly GraphQLError[]) {
        result = next;
      },
    };
    for (const hook of validateHooks) {
      const done = hook(payload as never);
      if (typeof done === 'function') after.push(done as Hook);
    }
    result ||= validateFn(schema, document, rules);
    if (!result) return [];
    if (after.length > 0) {
      const done = {
        valid: result.length === 0,
        result,
        context,
        extendContext,
        setResult(next: readonly GraphQLError[]) {
          result = next;
        },
      };
      for (const hook of after) {
        done.result = result;
        hook(done as never);
      }
    }
    return result;
  };

  const execute = async (args: ExecutionArgs, context: Record<string, unknown>): Promise<Result> => {
    let executeFn: ExecuteFn = missing('execute');
    let stopped: Result | undefined;
    let stop = false;
    const after: AfterExecute[] = [];
    const payload = {
      executeFn,
      setExecuteFn(next: ExecuteFn) {
        executeFn = next;
        payload.executeFn = next;
      },
      setResultAndStopExecution(next: Result) {
        stopped = next;
        stop = true;
      },
      context,
      extendContext(extension: unknown) {
        if (typeof extension !== 'object') throw new Error(`Invalid context extension provided! Expected "object", got: "${JSON.stringify(extension)}" (${typeof extension})`);
        Object.assign(context, extension);
      },
      args,
    };
    for (const hook of executeHooks) {
      let done = hook(payload as never);
      if (isPromise(done)) done = await done;
      if (done) after.push(done as AfterExecute);
      if (stop) break;
    }
    let result = stopped;
    if (result === undefined) {
      const executed = executeFn({ ...args, contextValue: context });
      result = isPromise(executed) ? await executed : executed;
    }
    if (after.length === 0) return result;
    const stream: StreamHooks[] = [];
    const done = {
      args,
      result,
      setResult(next: Result) {
        result = next;
      },
    };
    for (const { onExecuteDone } of after) {
      if (!onExecuteDone) continue;
      done.result = result;
      let hooks = onExecuteDone(done as never);
      if (isPromise(hooks)) hooks = await hooks;
      if (hooks) stream.push(hooks as StreamHooks);
    }
    return stream.length > 0 && isAsyncIterable(result) ? withStreamHooks(result, args, stream) : result;
  };

  return (request, params, context) => {
    const source = params.query;
    if (typeof source !== 'string' || STREAMING.test(source)) return undefined;
    // As yoga's handler does: the context holds the request and its params from here on.
    if (context['request'] !== request) context['request'] = request;
    context['params'] = params;
    try {
      const enveloped = server.getEnveloped(context);
      // Parse and validate hooks extend the context as envelop lets them: one closure for both.
      const extendContext: ExtendContext = (extension) => void Object.assign(context, extension);
      const document = parse(source, context, extendContext);
      const errors = validate(enveloped.schema, document, context, extendContext);
      if (errors.length > 0) return { errors };
      const run = (contextValue: unknown): Promise<Result> => {
        // The context factory returns the same object, extended: the hooks' `context`.
        const ctx = contextValue as Record<string, unknown>;
        const args: ExecutionArgs = { schema: enveloped.schema, document, contextValue: ctx, variableValues: params.variables, operationName: params.operationName };
        return execute(args, ctx).then(withStreamErrors, failed);
      };
      const contextValue = enveloped.contextFactory();
      return isPromise(contextValue) ? contextValue.then(run, failed) : run(contextValue);
    } catch (error) {
      return failed(error);
    }
  };
}

/** envelop's stand-in until useEngine's hooks set the real function. */
function missing(name: string): never & ((...args: never[]) => never) {
  return (() => {
    throw new Error(`No \`${name}\` function found! Register it using "useEngine" plugin.`);
  }) as never;
}

/** Apply `onExecuteDone`'s `onNext` and `onEnd` to an event stream, as envelop does. */
function withStreamHooks(result: AsyncIterable<ExecutionResult>, args: ExecutionArgs, hooks: StreamHooks[]): AsyncIterable<ExecutionResult> {
  const onNext = hooks.flatMap((hook) => (hook.onNext ? [hook.onNext] : []));
  const onEnd = hooks.flatMap((hook) => (hook.onEnd ? [hook.onEnd] : []));
  let stream = result;
  if (onNext.length > 0) {
    stream = mapAsyncIterator(stream, async (part: ExecutionResult) => {
      const payload = {
        args,
        result: part,
        setResult(next: ExecutionResult) {
          payload.result = next;
        },
      };
      for (const hook of onNext) {
        const done = hook(payload as never);
        if (isPromise(done)) await done;
      }
      return payload.result;
    }) as AsyncIterable<ExecutionResult>;
  }
  if (onEnd.length > 0) stream = finalAsyncIterator(stream as AsyncGenerator<ExecutionResult>, () => onEnd.forEach((end) => end())) as AsyncIterable<ExecutionResult>;
  return stream;
}

/** As yoga's handler does: an error thrown by an event stream becomes its last result, but an abort ends it. */
function withStreamErrors(result: Result): Result {
  if (!isAsyncIterable(result)) return result;
  return mapAsyncIterator(
    result,
    (part: ExecutionResult) => part,
    (error: unknown) => {
      if ((error as { name?: unknown } | null)?.name === 'AbortError') throw error;
      return failed(error);
    },
  ) as AsyncIterable<ExecutionResult>;
}

/** What yoga's handler makes of an error thrown in these phases (its `handleError`, masking off). */
export function graphQLErrorsOf(error: unknown): GraphQLError[] {
  if (typeof error === 'object' && error !== null && 'errors' in error && Array.isArray((error as { errors: unknown[] }).errors)) {
    return (error as { errors: unknown[] }).errors.flatMap(graphQLErrorsOf);
  }
  if (error instanceof GraphQLError) return [error];
  if (isAbort(error)) return [];
  if (error instanceof Error) return [new GraphQLError(error.message, { originalError: error })];
  return [new GraphQLError(String(error), { extensions: { code: 'INTERNAL_SERVER_ERROR', unexpected: true } })];
}

function failed(error: unknown): ExecutionResult {
  return { errors: graphQLErrorsOf(error) };
}

function isAbort(error: unknown): boolean {
  return error instanceof DOMException && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

export function isPromise<T>(value: Awaitable<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
}
