import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelSignal } from '../../src/context/cancelSignal.js';

// The light signal upstream calls listen on instead of a node AbortSignal
// (src/context/cancelSignal.ts): it must behave as one for everything the transport and undici do.

describe('CancelSignal', () => {
  it('fires once, telling each listener once, functions and handleEvent objects alike', () => {
    const signal = new CancelSignal();
    const heard: string[] = [];
    const fn = () => heard.push('fn');
    signal.addEventListener('abort', fn);
    signal.addEventListener('abort', fn);
    signal.addEventListener('abort', { handleEvent: () => heard.push('object') });
    expect(signal.aborted).toBe(false);
    signal.abort('gone');
    signal.abort('again');
    expect(heard).toEqual(['fn', 'object']);
    expect(signal.aborted).toBe(true);
    expect(signal.reason).toBe('gone');
  });

  it('tells nobody who left before it fired, and nobody who came after', () => {
    const signal = new CancelSignal();
    const heard: string[] = [];
    const left = () => heard.push('left');
    const stayed = () => heard.push('stayed');
    signal.addEventListener('abort', stayed);
    signal.addEventListener('abort', left);
    signal.removeEventListener('abort', left);
    signal.abort();
    signal.addEventListener('abort', () => heard.push('late'));
    expect(heard).toEqual(['stayed']);
  });

  it('does not tell a listener that an earlier one removed while it fired, as an EventTarget would not', () => {
    const signal = new CancelSignal();
    const heard: string[] = [];
    const second = () => heard.push('second');
    signal.addEventListener('abort', () => {
      heard.push('first');
      signal.removeEventListener('abort', second);
    });
    signal.addEventListener('abort', second);
    signal.abort();
    expect(heard).toEqual(['first']);
  });

  it('fires with an AbortError DOMException when given no reason, as AbortController does', () => {
    const signal = new CancelSignal();
    signal.abort();
    expect(signal.reason).toBeInstanceOf(DOMException);
    expect((signal.reason as DOMException).name).toBe('AbortError');
    expect(() => signal.throwIfAborted()).toThrow(DOMException);
  });

  it('keeps telling the others when one listener throws', () => {
    const signal = new CancelSignal();
    const heard: string[] = [];
    const reported = new Promise<unknown>((resolve) => process.once('uncaughtException', resolve));
    signal.addEventListener('abort', () => {
      throw new Error('listener failed');
    });
    signal.addEventListener('abort', () => heard.push('second'));
    signal.abort();
    expect(heard).toEqual(['second']);
    return expect(reported).resolves.toMatchObject({ message: 'listener failed' });
  });
});

describe('CancelSignal as the signal of an undici request over a real socket', () => {
  let server: Server;
  let origin: string;
  const agent = new Agent();
  beforeAll(async () => {
    // Answers only what it is asked to answer at once: the rest hang until their client leaves.
    server = createServer((req, res) => {
      if (req.url === '/now') res.end('ok');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await agent.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('lets an answered request through, and ends a hanging one with its reason when it fires', async () => {
    const answered = await agent.request({ origin, path: '/now', method: 'GET', signal: new CancelSignal() as unknown as AbortSignal });
    expect(await answered.body.text()).toBe('ok');

    const signal = new CancelSignal();
    const hanging = agent.request({ origin, path: '/hang', method: 'GET', signal: signal as unknown as AbortSignal });
    const reason = new Error('client left');
    setImmediate(() => signal.abort(reason));
    await expect(hanging).rejects.toBe(reason);
  });

  it('refuses at once a request whose signal already fired', async () => {
    const signal = new CancelSignal();
    const reason = new Error('already gone');
    signal.abort(reason);
    await expect(agent.request({ origin, path: '/now', method: 'GET', signal: signal as unknown as AbortSignal })).rejects.toBe(reason);
  });
});
