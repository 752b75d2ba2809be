import { describe, expect, it } from 'vitest';
import type { Principal } from '../../../src/context/principal.js';
import { createSubscriptionRegistry, type EndReason } from '../../../src/plugins/subscriptions/subscriptionRegistry.js';

/** A clock and timers the test advances by hand. */
function manualTime(start = 1_000_000) {
  let now = start;
  const timers = new Set<{ at: number; fn: () => void }>();
  return {
    now: () => now,
    setTimer(fn: () => void, ms: number) {
      const timer = { at: now + ms, fn };
      timers.add(timer);
      return () => void timers.delete(timer);
    },
    advance(ms: number) {
      now += ms;
      for (const timer of [...timers]) {
        if (timer.at > now) continue;
        timers.delete(timer);
        timer.fn();
      }
    },
    pending: () => timers.size,
  };
}

const user = (subject: string, extra: Partial<Principal> = {}): Principal => ({ kind: 'jwt', subject, scopes: [], roles: [], ...extra });

describe('subscription registry', () => {
  it('refuses a principal past its cap on one BFF, not on another, and not another principal', () => {
    const registry = createSubscriptionRegistry({ maxPerProcess: 100 });
    const admit = (bff: string, subject: string) => registry.admit({ bff, principal: user(subject), maxPerPrincipal: 2, end: () => undefined });
    expect('lease' in admit('web', 'a')).toBe(true);
    expect('lease' in admit('web', 'a')).toBe(true);
    expect(admit('web', 'a')).toEqual({ refused: 'principal' });
    expect('lease' in admit('mobile', 'a')).toBe(true);
    expect('lease' in admit('web', 'b')).toBe(true);
  });

  it('counts anonymous callers against the process cap only', () => {
    const registry = createSubscriptionRegistry({ maxPerProcess: 3 });
    const anonymous: Principal = { kind: 'anonymous', subject: '', scopes: [], roles: [] };
    for (let i = 0; i < 3; i += 1) expect('lease' in registry.admit({ bff: 'web', principal: anonymous, maxPerPrincipal: 1, end: () => undefined })).toBe(true);
    expect(registry.admit({ bff: 'web', principal: anonymous, maxPerPrincipal: 1, end: () => undefined })).toEqual({ refused: 'process' });
  });

  it('frees a slot on release, once however often it is called', () => {
    const registry = createSubscriptionRegistry({ maxPerProcess: 1 });
    const first = registry.admit({ bff: 'web', principal: user('a'), maxPerPrincipal: 5, end: () => undefined });
    expect(registry.admit({ bff: 'web', principal: user('b'), maxPerPrincipal: 5, end: () => undefined })).toEqual({ refused: 'process' });
    if (!('lease' in first)) throw new Error('refused');
    first.lease.release();
    first.lease.release();
    expect(registry.count()).toBe(0);
    expect('lease' in registry.admit({ bff: 'web', principal: user('b'), maxPerPrincipal: 5, end: () => undefined })).toBe(true);
  });

  it('ends a subscription at its token\'s exp, and cancels the timer of one released before', () => {
    const time = manualTime();
    const registry = createSubscriptionRegistry({ maxPerProcess: 10, now: time.now, setTimer: time.setTimer });
    const ended: EndReason[] = [];
    const expiresAt = (time.now() + 60_000) / 1000;
    registry.admit({ bff: 'web', principal: user('a', { expiresAt }), maxPerPrincipal: 5, end: (reason) => ended.push(reason) });
    const released = registry.admit({ bff: 'web', principal: user('b', { expiresAt }), maxPerPrincipal: 5, end: (reason) => ended.push(reason) });
    if ('lease' in released) released.lease.release();
    expect(time.pending()).toBe(1);
    time.advance(59_999);
    expect(ended).toEqual([]);
    time.advance(1);
    expect(ended).toEqual(['TOKEN_EXPIRED']);
    expect(registry.count()).toBe(0);
  });

  it('ends every subscription of a revoked jti, across BFFs, and no other', () => {
    const registry = createSubscriptionRegistry({ maxPerProcess: 10 });
    const ended: string[] = [];
    for (const [bff, jti] of [['web', 'j1'], ['mobile', 'j1'], ['web', 'j2']] as const) {
      registry.admit({ bff, principal: user('a', { jti }), maxPerPrincipal: 5, end: (reason) => ended.push(`${bff}:${jti}:${reason}`) });
    }
    expect(registry.revoked('j1')).toBe(2);
    expect(ended).toEqual(['web:j1:TOKEN_REVOKED', 'mobile:j1:TOKEN_REVOKED']);
    expect(registry.revoked('j1')).toBe(0);
    expect(registry.count()).toBe(1);
  });

  it('drains: ends every subscription and refuses new ones', () => {
    const registry = createSubscriptionRegistry({ maxPerProcess: 10 });
    const ended: EndReason[] = [];
    registry.admit({ bff: 'web', principal: user('a'), maxPerPrincipal: 5, end: (reason) => ended.push(reason) });
    expect(registry.drain()).toBe(1);
    expect(ended).toEqual(['DRAINING']);
    expect(registry.admit({ bff: 'web', principal: user('a'), maxPerPrincipal: 5, end: () => undefined })).toEqual({ refused: 'draining' });
  });
});
