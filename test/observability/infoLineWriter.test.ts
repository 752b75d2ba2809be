import { pino, type LoggerOptions } from 'pino';
import { describe, expect, it } from 'vitest';
import { infoLineWriter } from '../../src/observability/infoLineWriter.js';

/** A logger whose lines are kept as written, with a fixed clock so two lines can be compared. */
function capturing(options: LoggerOptions = {}) {
  const lines: string[] = [];
  const logger = pino({ timestamp: () => ',"time":1700000000000', ...options }, { write: (line: string) => void lines.push(line) });
  return { logger, lines };
}

/** What `logger.info(fields, message)` writes, and what the writer writes, for the same fields. */
function bothWays(options: LoggerOptions, fields: Record<string, unknown>, child?: Record<string, unknown>) {
  const { logger: root, lines } = capturing(options);
  const logger = child ? root.child(child) : root;
  logger.info(fields, 'request');
  infoLineWriter(logger, 'request')(fields);
  expect(lines).toHaveLength(2);
  return { pino: lines[0]!, writer: lines[1]! };
}

// An access-log line as useAccessLog builds it: strings a client chose among them.
const line = {
  requestId: '9b1c0e6a-3f55-4f5e-9a61-0f7d2a3c4b5d',
  bff: 'web',
  method: 'POST',
  path: '/graphql',
  operationName: 'Dashboard',
  operationType: 'query',
  clientName: 'ios "app"\\ \u00e9\u4e2d',
  status: 200,
  durationMs: 12.34,
  cost: 24420,
  principal: 'jwt',
  subject: '04fa9e9099d708ea',
  tenant: 'acme',
  upstream: [
    { source: 'orders/orders', status: 200, ms: 1.25, joined: true },
    { source: 'users', error: 'SUBGRAPH_TIMEOUT', ms: 5000 },
  ],
  stale: ['users'],
  errors: ['SUBGRAPH_TIMEOUT'],
};

describe('infoLineWriter: an info line without pino walking the fields', () => {
  it('writes exactly what logger.info writes: level, time, bindings, fields in order, message, newline', () => {
    const { pino: expected, writer } = bothWays({ base: { pid: 42 } }, line);
    expect(writer).toBe(expected);
    expect(JSON.parse(writer)).toMatchObject({ level: 30, time: 1700000000000, pid: 42, requestId: line.requestId, upstream: line.upstream, msg: 'request' });
  });

  it('leaves out undefined fields and writes non-finite numbers as null, as pino does', () => {
    const fields = { requestId: 'r1', operationName: undefined, durationMs: Number.NaN, cost: Number.POSITIVE_INFINITY, status: 400, ok: false, nothing: null };
    const { pino: expected, writer } = bothWays({ base: { pid: 42 } }, fields);
    expect(writer).toBe(expected);
    expect(writer).not.toContain('operationName');
  });

  it('writes a plain logger\'s line itself, without calling logger.info', () => {
    const { logger, lines } = capturing({ base: { pid: 42 } });
    let infoCalls = 0;
    const info = logger.info.bind(logger);
    logger.info = ((...args: Parameters<typeof info>) => {
      infoCalls++;
      return info(...args);
    }) as typeof logger.info;
    infoLineWriter(logger, 'request')(line);
    expect(infoCalls).toBe(0);
    expect(lines).toHaveLength(1);
  });

  it("follows a child's bindings, pino's default base, a level formatter, a message key and an empty line", () => {
    expect(bothWays({}, line, { bff: 'web', component: 'access' }).writer).toBe(bothWays({}, line, { bff: 'web', component: 'access' }).pino);
    const formatted: LoggerOptions = { base: { pid: 1 }, formatters: { level: (label) => ({ severity: label.toUpperCase() }) }, messageKey: 'message' };
    const { pino: expected, writer } = bothWays(formatted, line);
    expect(writer).toBe(expected);
    expect(JSON.parse(writer)).toMatchObject({ severity: 'INFO', message: 'request' });
    const empty = bothWays({ base: { pid: 1 } }, {});
    expect(empty.writer).toBe(empty.pino);
  });

  it('hands lines to logger.info when the logger changes them: redaction, a mixin, a log formatter, serializers, a message prefix', () => {
    const cases: [LoggerOptions, (written: Record<string, unknown>) => void][] = [
      [{ redact: ['subject'] }, (written) => expect(written['subject']).toBe('[Redacted]')],
      [{ mixin: () => ({ region: 'eu' }) }, (written) => expect(written['region']).toBe('eu')],
      [{ formatters: { log: (object) => ({ ...object, shaped: true }) } }, (written) => expect(written['shaped']).toBe(true)],
      [{ serializers: { tenant: (tenant: string) => tenant.toUpperCase() } }, (written) => expect(written['tenant']).toBe('ACME')],
      [{ msgPrefix: '[access] ' }, (written) => expect(written['msg']).toBe('[access] request')],
    ];
    for (const [options, check] of cases) {
      const { pino: expected, writer } = bothWays(options, line);
      expect(writer).toBe(expected);
      check(JSON.parse(writer) as Record<string, unknown>);
    }
  });

  it("hands pino a line it cannot write with JSON.stringify (a cycle) or one with a field under the error key, and writes those pino's way", () => {
    const cyclic: Record<string, unknown> = { requestId: 'r1' };
    cyclic['self'] = cyclic;
    const { pino: expected, writer } = bothWays({ base: { pid: 1 } }, cyclic);
    expect(writer).toBe(expected);
    expect(writer).toContain('[Circular]');
    const withError = bothWays({ base: { pid: 1 } }, { requestId: 'r1', err: new Error('boom') });
    expect(withError.writer).toBe(withError.pino);
    expect(JSON.parse(withError.writer).err).toMatchObject({ type: 'Error', message: 'boom' });
  });
});
