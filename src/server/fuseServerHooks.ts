import type { PipelinePlugin } from '../context/requestScope.js';

/**
 * The hooks yoga and its server adapter (@whatwg-node/server) call per request or per operation.
 * Each runs its list through promise-helpers' iterateAsync, which allocates three closures and
 * three fake promises per hook, and the engine builds a fresh payload per hook: ~35 of them per
 * request in the pipeline, the largest share of the garbage of a small query (issue 17).
 * Envelop's own hooks (onParse, onExecute, ...) are not listed: envelop already composes them
 * once per plugin list, not per request.
 */
export const FUSED_HOOKS = ['onRequest', 'onRequestParse', 'onParams', 'onExecutionResult', 'onResultProcess', 'onResponse'] as const;
type FusedHookName = (typeof FUSED_HOOKS)[number];

type Hook = (payload: any) => unknown;
type HookLists = Record<FusedHookName, Hook[]>;

/** One plugin of the list, with the hooks taken off it and the plugins it added at init. */
interface Entry {
  hooks: Partial<Record<FusedHookName, Hook>>;
  added: Entry[];
}

/**
 * The same plugin list for one yoga, with each request-level hook type run by ONE hook (on a
 * plugin placed first) that calls the plugins' hooks in list order with a plain loop: synchronous
 * while they return non-promises, continuing after the first promise once it settles. Early stop
 * (`endResponse`) and every setter behave as in yoga and the server adapter: a later hook sees
 * the values earlier ones set. The fused hook mutates the one payload yoga hands it, so fields a
 * future yoga adds pass through as they are.
 *
 * Every other key stays on its plugin, in its place: envelop's hooks, `instrumentation`,
 * `onYogaInit`, disposal. A plugin without request-level hooks or `onPluginInit` is passed as
 * itself; the others are copies without those keys. Plugins added by `onPluginInit`'s `addPlugin`
 * have their request-level hooks fused where envelop puts them, right after the adding plugin.
 *
 * Call it once per createYoga: the fused plugin learns the added plugins during that yoga's init.
 */
export function fuseServerHooks(plugins: readonly PipelinePlugin[]): PipelinePlugin[] {
  const entries: Entry[] = [];
  const stripped = plugins.map((plugin) => strip(plugin, entries));
  let hooks: Partial<Record<FusedHookName, Hook>> | undefined;
  // Read by yoga and the adapter after envelop ran every onPluginInit (and so every addPlugin):
  // only then is the list of hooks known.
  const fused: Record<string, unknown> = {};
  for (const name of FUSED_HOOKS) {
    Object.defineProperty(fused, name, { enumerable: true, get: () => (hooks ??= fuseAll(flatten(entries)))[name] });
  }
  return [fused as PipelinePlugin, ...stripped];
}

function strip(plugin: PipelinePlugin, into: Entry[]): PipelinePlugin {
  const entry: Entry = { hooks: {}, added: [] };
  into.push(entry);
  const source = plugin as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  const ensureCopy = () => (copy ??= Object.create(Object.getPrototypeOf(plugin), Object.getOwnPropertyDescriptors(plugin)) as Record<string, unknown>);
  for (const name of FUSED_HOOKS) {
    const hook = source[name];
    if (typeof hook !== 'function') continue;
    entry.hooks[name] = hook as Hook;
    // defineProperty, not delete: it also hides a hook inherited from a prototype
    Object.defineProperty(ensureCopy(), name, { value: undefined, enumerable: false, configurable: true, writable: true });
  }
  const init = source.onPluginInit as ((this: unknown, payload: { addPlugin: (plugin: PipelinePlugin) => void }) => unknown) | undefined;
  if (typeof init === 'function') {
    ensureCopy().onPluginInit = function (this: unknown, payload: { addPlugin: (plugin: PipelinePlugin) => void }) {
      return init.call(this, { ...payload, addPlugin: (added: PipelinePlugin) => payload.addPlugin(strip(added, entry.added)) });
    };
  }
  return (copy as PipelinePlugin | undefined) ?? plugin;
}

/** Each plugin's hooks, then those of the plugins it added: envelop's order. */
function flatten(entries: readonly Entry[], lists: HookLists = emptyLists()): HookLists {
  for (const entry of entries) {
    for (const name of FUSED_HOOKS) {
      const hook = entry.hooks[name];
      if (hook) lists[name].push(hook);
    }
    flatten(entry.added, lists);
  }
  return lists;
}

function emptyLists(): HookLists {
  return { onRequest: [], onRequestParse: [], onParams: [], onExecutionResult: [], onResultProcess: [], onResponse: [] };
}

function fuseAll(lists: HookLists): Partial<Record<FusedHookName, Hook>> {
  const hooks: Partial<Record<FusedHookName, Hook>> = {};
  for (const name of FUSED_HOOKS) {
    const hook = fusedHook(name, lists[name]);
    if (hook) hooks[name] = hook;
  }
  return hooks;
}

/** No hook for none, the hook itself for one, a loop for more. */
function fusedHook(name: FusedHookName, hooks: Hook[]): Hook | undefined {
  if (hooks.length <= 1) return hooks[0];
  switch (name) {
    case 'onRequest':
      return (payload) => runAll(onRequestRun(payload, hooks));
    case 'onRequestParse':
      return (payload) => {
        const run = onRequestParseRun(payload, hooks);
        const ran = runAll(run);
        return isPromise(ran) ? ran.then(() => requestParseDone(run)) : requestParseDone(run);
      };
    case 'onParams':
      return (payload) => {
        const { setParams, setParamsHandler } = payload;
        payload.setParams = (params: unknown) => {
          payload.params = params;
          setParams(params);
        };
        payload.setParamsHandler = (handler: unknown) => {
          payload.paramsHandler = handler;
          setParamsHandler(handler);
        };
        return runAll(new Run(payload, hooks));
      };
    case 'onExecutionResult':
      return (payload) => runAll(new Run(withSetResult(payload), hooks));
    case 'onResultProcess':
      return (payload) => {
        const { setResultProcessor } = payload;
        payload.setResultProcessor = (processor: unknown, mediaType: string) => {
          payload.resultProcessor = processor;
          setResultProcessor(processor, mediaType);
        };
        return runAll(new Run(withSetResult(payload), hooks));
      };
    case 'onResponse':
      return (payload) => {
        const { setResponse } = payload;
        payload.setResponse = (response: unknown) => {
          payload.response = response;
          setResponse(response);
        };
        return runAll(new Run(payload, hooks));
      };
  }
}

/** One request's pass over one hook list. */
class Run {
  /** Set by `endResponse`: the hooks after the current one are skipped. */
  ended = false;
  /** onRequestParse only: the `onRequestParseDone` callbacks returned, in order. */
  done: Hook[] | undefined;
  constructor(
    readonly payload: any,
    readonly hooks: Hook[],
    readonly collectsDone = false,
  ) {}
}

function withSetResult(payload: any): any {
  const { setResult } = payload;
  payload.setResult = (result: unknown) => {
    payload.result = result;
    setResult(result);
  };
  return payload;
}

/** The adapter stops at an `endResponse` given a response, and hands the later hooks the request and handler set so far. */
function onRequestRun(payload: any, hooks: Hook[]): Run {
  const run = new Run(payload, hooks);
  const { setRequest, setRequestHandler, endResponse } = payload;
  payload.setRequest = (request: unknown) => {
    payload.request = request;
    setRequest(request);
  };
  payload.setRequestHandler = (handler: unknown) => {
    payload.requestHandler = handler;
    setRequestHandler(handler);
  };
  payload.endResponse = (response: unknown) => {
    if (response) run.ended = true;
    endResponse(response);
  };
  return run;
}

/** yoga stops at any `endResponse`, and hands the later hooks the parser set so far. */
function onRequestParseRun(payload: any, hooks: Hook[]): Run {
  const run = new Run(payload, hooks, true);
  const { setRequestParser, endResponse } = payload;
  payload.setRequestParser = (parser: unknown) => {
    payload.requestParser = parser;
    setRequestParser(parser);
  };
  payload.endResponse = (response: unknown) => {
    run.ended = true;
    endResponse(response);
  };
  return run;
}

/** The collected `onRequestParseDone` callbacks as one, run in order as yoga would. */
function requestParseDone(run: Run): { onRequestParseDone: Hook } | undefined {
  const done = run.done;
  if (done === undefined) return undefined;
  if (done.length === 1) return { onRequestParseDone: done[0]! };
  return {
    onRequestParseDone: (payload: any) => {
      const { setRequestParserResult } = payload;
      payload.setRequestParserResult = (result: unknown) => {
        payload.requestParserResult = result;
        setRequestParserResult(result);
      };
      return runAll(new Run(payload, done));
    },
  };
}

function runAll(run: Run): unknown {
  return runFrom(run, 0);
}

/**
 * Calls the hooks from `from` on; at the first promise returns one that continues the loop when
 * it settles (a rejection, or a throw, reaches yoga as the hook's own would have).
 */
function runFrom(run: Run, from: number): unknown {
  const { hooks, payload } = run;
  for (let i = from; i < hooks.length; i++) {
    const result = hooks[i]!(payload);
    if (isPromise(result)) {
      return settled(result).then((value) => {
        collect(run, value);
        return run.ended ? undefined : runFrom(run, i + 1);
      });
    }
    collect(run, result);
    if (run.ended) return undefined;
  }
  return undefined;
}

function collect(run: Run, result: unknown): void {
  if (!run.collectsDone) return;
  const done = (result as { onRequestParseDone?: Hook } | null | undefined)?.onRequestParseDone;
  if (done) (run.done ??= []).push(done);
}

/** promise-helpers' test: anything with a `then`. */
function isPromise(value: unknown): value is PromiseLike<unknown> {
  return (value as { then?: unknown } | null | undefined)?.then != null;
}

/**
 * A promise, or promise-helpers' fake one, is chained as it is (a settled fake continues at
 * once, as in yoga); any other thenable is adopted by a real promise first.
 */
function settled(value: PromiseLike<unknown>): Promise<unknown> {
  const maybe = value as Partial<Promise<unknown>>;
  return maybe.catch && maybe.finally ? (value as Promise<unknown>) : Promise.resolve(value);
}
