import { describe, expect, it } from 'vitest';
import { joinInFlight } from '../../src/context/joinInFlight.js';

function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('joinInFlight', () => {
  it('shares one piece of work among overlapping asks for a key, and none across keys', async () => {
    const pending = new Map<string, Promise<string>>();
    const started: string[] = [];
    const work = { a: deferred<string>(), b: deferred<string>() };
    const start = (key: 'a' | 'b') => () => {
      started.push(key);
      return work[key].promise;
    };
    const first = joinInFlight(pending, 'a', start('a'));
    const second = joinInFlight(pending, 'a', start('a'));
    const other = joinInFlight(pending, 'b', start('b'));
    expect(started).toEqual(['a', 'b']);
    work.a.resolve('answer a');
    work.b.resolve('answer b');
    expect(await Promise.all([first, second, other])).toEqual(['answer a', 'answer a', 'answer b']);
  });

  it('never hands a finished answer out again: the next ask starts new work', async () => {
    const pending = new Map<string, Promise<number>>();
    let calls = 0;
    const start = () => Promise.resolve(++calls);
    expect(await joinInFlight(pending, 'k', start)).toBe(1);
    expect(pending.size).toBe(0);
    expect(await joinInFlight(pending, 'k', start)).toBe(2);
  });

  it('drops a failed piece of work too, so the next ask tries again', async () => {
    const pending = new Map<string, Promise<number>>();
    const failing = deferred<number>();
    const asked = joinInFlight(pending, 'k', () => failing.promise);
    failing.reject(new Error('down'));
    await expect(asked).rejects.toThrow('down');
    expect(pending.size).toBe(0);
    expect(await joinInFlight(pending, 'k', () => Promise.resolve(7))).toBe(7);
  });
});
