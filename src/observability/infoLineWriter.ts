import { pino, type Logger } from 'pino';

/** Writes one info line of `fields`; the caller has checked that `info` is enabled. */
export type InfoLineWriter = (fields: Record<string, unknown>) => void;

// pino's own state on a logger, by the symbols it exports for integrations (`pino.symbols`).
type LoggerState = Record<symbol, unknown>;
const {
  lsCacheSym,
  timeSym,
  chindingsSym,
  endSym,
  streamSym,
  messageKeySym,
  errorKeySym,
  mixinSym,
  formattersSym,
  stringifiersSym,
  hooksSym,
  nestedKeySym,
  serializersSym,
  needsMetadataGsym,
} = pino.symbols;

/**
 * `logger.info(fields, message)`, byte for byte, for a line written on every request (the
 * access log): the fields go through one `JSON.stringify` instead of pino's walk over them, which
 * escapes each key and each short string in JavaScript and concatenates the line a piece at a
 * time (~5 KB of garbage and a few µs a line, bench/README.md, session 12). The level, time,
 * bindings, message key and line end are pino's own, read from the logger on every line, so a
 * child's bindings, a timestamp or level format and a changed stream are followed.
 *
 * Only for a logger that does nothing else to a line: one with a mixin, a `log` formatter,
 * redaction, a nested key, a message prefix, `logMethod`/`streamWrite` hooks, a serializer
 * other than pino's `err`, or a multistream that wants each line's metadata gets
 * `logger.info` itself. So does a line with a field under the error key, or one
 * `JSON.stringify` cannot write (a cycle, a BigInt), which pino writes its own way. Strings
 * with a lone surrogate are the one difference: escaped here (`\udXXX`), raw from pino.
 */
export function infoLineWriter(logger: Logger, message: string): InfoLineWriter {
  const fallback: InfoLineWriter = (fields) => logger.info(fields, message);
  const state = logger as unknown as LoggerState;
  if (!writesPlainLines(state) || logger.msgPrefix) return fallback;
  const level = logger.levels.values['info']!;
  const errorKey = state[errorKeySym] as string;
  const messagePart = `,"${state[messageKeySym] as string}":${JSON.stringify(message)}`;
  return (fields) => {
    let body: string;
    try {
      if (errorKey in fields) return fallback(fields);
      body = JSON.stringify(fields);
    } catch {
      return fallback(fields);
    }
    const head = (state[lsCacheSym] as Record<number, string>)[level]! + (state[timeSym] as () => string)() + (state[chindingsSym] as string);
    const stream = state[streamSym] as { write(line: string): unknown };
    // `{}` has no member to add; otherwise its members go in without the braces, after the bindings.
    stream.write(head + (body.length > 2 ? `,${body.slice(1, -1)}` : '') + messagePart + (state[endSym] as string));
  };
}

function writesPlainLines(state: LoggerState): boolean {
  const formatters = state[formattersSym] as { log?: unknown } | undefined;
  const hooks = state[hooksSym] as { logMethod?: unknown; streamWrite?: unknown } | undefined;
  const stringifiers = (state[stringifiersSym] ?? {}) as object;
  const serializers = (state[serializersSym] ?? {}) as object;
  const stream = state[streamSym] as Record<symbol, unknown> | undefined;
  return (
    state[mixinSym] === undefined &&
    formatters?.log === undefined &&
    hooks?.logMethod === undefined &&
    hooks?.streamWrite === undefined &&
    Reflect.ownKeys(stringifiers).length === 0 &&
    Object.keys(serializers).every((key) => key === 'err') &&
    !state[nestedKeySym] &&
    stream !== undefined &&
    stream[needsMetadataGsym] !== true &&
    typeof state[timeSym] === 'function' &&
    typeof state[chindingsSym] === 'string' &&
    typeof state[endSym] === 'string' &&
    typeof state[messageKeySym] === 'string'
  );
}
