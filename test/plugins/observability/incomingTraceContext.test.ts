import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { incomingTraceContext, outgoingTraceHeaders } from '../../../src/plugins/observability/incomingTraceContext.js';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('incomingTraceContext', () => {
  it('joins the client trace when trusted', () => {
    const { parent, links } = incomingTraceContext(new Headers({ traceparent: TRACEPARENT }), true);
    expect(trace.getSpanContext(parent)).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', isRemote: true });
    expect(links).toEqual([]);
  });

  it('starts a new trace with a link to the client span when not trusted', () => {
    const { parent, links } = incomingTraceContext(new Headers({ traceparent: TRACEPARENT }), false);
    expect(parent).toBe(ROOT_CONTEXT);
    expect(links).toHaveLength(1);
    expect(links[0]!.context).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' });
  });

  it.each([
    ['a missing header', undefined],
    ['an all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['a short span id', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067-01'],
    ['garbage', 'hello'],
  ])('ignores %s', (_what, header) => {
    const headers = new Headers(header ? { traceparent: header } : {});
    for (const trust of [true, false]) expect(incomingTraceContext(headers, trust)).toEqual({ parent: ROOT_CONTEXT, links: [] });
  });

  it('writes the W3C headers for a context', () => {
    const { parent } = incomingTraceContext(new Headers({ traceparent: TRACEPARENT, tracestate: 'vendor=1' }), true);
    expect(outgoingTraceHeaders(parent)).toEqual({ traceparent: TRACEPARENT, tracestate: 'vendor=1' });
  });
});
