import { describe, expect, it } from 'vitest';
import { createClient as createSseClient, NetworkError } from 'graphql-sse';
import { createClient as createWsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { ApolloClient, HttpLink, InMemoryCache, gql as apolloGql } from '@apollo/client';
import { gql, useDemoGateway } from '../../support/portico.js';
import { take } from '../../support/take.js';

// Issue 19: subscriptions through every client protocol, each event's REST fields resolved from
// the products and inventory sources, credentials checked on connect.
const demo = useDemoGateway({ idp: true });

const STATUS_EVENTS = `subscription {
  orderStatusChanged(orderId: "o1") { id status items { quantity product { name stock { available } } } }
}`;
// o1's one item: product p8, as the seed data derives it (subgraphs/orders/data.ts).
const ITEMS = [{ quantity: 2, product: { name: 'Compact Planter', stock: { available: 6 } } }];
const event = (status: string) => ({ data: { orderStatusChanged: { id: 'o1', status, items: ITEMS } } });

describe('subscriptions over SSE, WebSocket and multipart HTTP (web BFF)', () => {
  it('delivers the same status changes in order to a graphql-sse, a graphql-ws and an Apollo Client subscriber, REST fields filled', async () => {
    const owner = await demo.signIn({ sub: 'u1', scopes: ['orders:read', 'orders:write'] } as never);
    const url = demo.portico.bff('web').url;
    const orders = demo.subgraphs.orders;
    await orders.reset();

    // One caller, one document: the client subscriptions share an upstream stream
    // (subscriptions.share), so the source's count cannot say when the second and third have
    // joined. The WebSocket one opens it (the count says when); SSE and multipart have joined once
    // their response has started. Only then is anything published.
    const ws = createWsClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, connectionParams: owner, retryAttempts: 0 });
    const wsEvents = ws.iterate({ query: STATUS_EVENTS });
    const wsTaken = take(wsEvents, 3);
    await orders.waitForStats((stats) => stats.openStreams === 1, 20_000);

    let sseConnected!: () => void;
    const sseJoined = new Promise<void>((resolve) => (sseConnected = resolve));
    const sse = createSseClient({ url, headers: owner, retryAttempts: 0, on: { connected: () => sseConnected() } });
    const sseEvents = sse.iterate({ query: STATUS_EVENTS });
    const sseTaken = take(sseEvents, 3);

    let apolloConnected!: () => void;
    const apolloJoined = new Promise<void>((resolve) => (apolloConnected = resolve));
    const joinedFetch: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      apolloConnected();
      return response;
    };
    const apollo = new ApolloClient({ link: new HttpLink({ uri: url, headers: owner, fetch: joinedFetch }), cache: new InMemoryCache() });
    const apolloEvents: unknown[] = [];
    let apolloDone!: () => void;
    const apolloTaken = new Promise<void>((resolve) => (apolloDone = resolve));
    const apolloSubscription = apollo.subscribe({ query: apolloGql(STATUS_EVENTS), fetchPolicy: 'no-cache' }).subscribe({
      next(result) {
        // Apollo Client adds __typename to every selection; the rest must be the same events.
        const data: unknown = JSON.parse(JSON.stringify(result.data), (key, value: unknown) => (key === '__typename' ? undefined : value));
        apolloEvents.push({ data, ...(result.error ? { error: String(result.error) } : {}) });
        if (apolloEvents.length === 3) apolloDone();
      },
      error(error) {
        apolloEvents.push({ error: String(error) });
        apolloDone();
      },
    });
    await Promise.all([sseJoined, apolloJoined]);
    const cancelled = await gql(url, 'mutation { cancelOrder(id: "o1") { status } }', undefined, owner);
    expect(cancelled.body).toEqual({ data: { cancelOrder: { status: 'CANCELLED' } } });
    await orders.reset(); // back to the seed status: PENDING
    await gql(url, 'mutation { cancelOrder(id: "o1") { status } }', undefined, owner);

    const expected = [event('CANCELLED'), event('PENDING'), event('CANCELLED')];
    expect(await sseTaken).toEqual(expected);
    expect(await wsTaken).toEqual(expected);
    await apolloTaken;
    expect(apolloEvents).toEqual(expected);

    // Unsubscribing on each protocol ends the subscription at the source too.
    await sseEvents.return?.();
    await wsEvents.return?.();
    apolloSubscription.unsubscribe();
    await orders.waitForStats((stats) => stats.openStreams === 0, 20_000);
    await ws.dispose();
    await orders.reset();
  });

  it('serves the mobile BFF its own slice of the event (renamed fields) over SSE', async () => {
    const owner = await demo.signIn({ sub: 'u1', scopes: ['orders:read', 'orders:write'], aud: 'portico-mobile' } as never);
    const url = demo.portico.bff('mobile').url;
    const orders = demo.subgraphs.orders;
    await orders.reset();
    const sse = createSseClient({ url, headers: owner, retryAttempts: 0 });
    const events = sse.iterate({ query: 'subscription { orderStatusChanged(orderId: "o1") { id status items { product { title } } } }' });
    const first = events.next();
    await orders.waitForStats((stats) => stats.openStreams === 1, 20_000);
    await gql(url, 'mutation { cancelOrder(id: "o1") { status } }', undefined, owner);
    expect((await first).value).toEqual({ data: { orderStatusChanged: { id: 'o1', status: 'CANCELLED', items: [{ product: { title: 'Compact Planter' } }] } } });
    await events.return?.();
    await orders.waitForStats((stats) => stats.openStreams === 0, 20_000);
    await orders.reset();
  });

  it("fills the subscriber's own user id into the source's subscription, so another user's order yields nothing", async () => {
    const owner = await demo.signIn({ sub: 'u1', scopes: ['orders:read', 'orders:write'] } as never);
    const other = await demo.signIn({ sub: 'u2', scopes: ['orders:read'] } as never);
    const url = demo.portico.bff('web').url;
    const orders = demo.subgraphs.orders;
    await orders.reset();
    const query = 'subscription { orderStatusChanged(orderId: "o1") { id status } }';
    const theirs = createSseClient({ url, headers: other, retryAttempts: 0 }).iterate({ query });
    const mine = createSseClient({ url, headers: owner, retryAttempts: 0 }).iterate({ query });
    const theirFirst = theirs.next();
    const myFirst = mine.next();
    await orders.waitForStats((stats) => stats.openStreams === 2, 20_000);
    const sent = (await orders.requests()).filter((request) => JSON.stringify(request.body ?? '').includes('orderStatusChanged'));
    expect(sent).toHaveLength(2);
    for (const request of sent) expect(JSON.stringify(request.body)).toContain('userId: $porticoOwner_sub');
    await gql(url, 'mutation { cancelOrder(id: "o1") { status } }', undefined, owner);
    expect((await myFirst).value).toEqual({ data: { orderStatusChanged: { id: 'o1', status: 'CANCELLED' } } });
    await theirs.return?.();
    expect(await theirFirst).toEqual({ done: true, value: undefined });
    await mine.return?.();
    await orders.waitForStats((stats) => stats.openStreams === 0, 20_000);
    await orders.reset();
  });
});

describe('authentication at connect', () => {
  const BAD = { authorization: 'Bearer not.a.token' };
  /** The status-changes subscription with invalid credentials, asking for the answer as `accept`. */
  const subscribeWithBadToken = (accept: string) =>
    fetch(demo.portico.bff('web').url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, ...BAD },
      body: JSON.stringify({ query: STATUS_EVENTS }),
    });

  it('refuses an SSE subscription with invalid credentials: 401 UNAUTHENTICATED, nothing subscribed', async () => {
    const url = demo.portico.bff('web').url;
    const response = await subscribeWithBadToken('text/event-stream');
    expect(response.status).toBe(401);
    expect(await response.text()).toContain('"code":"UNAUTHENTICATED"');
    const sse = createSseClient({ url, headers: BAD, retryAttempts: 0 });
    await expect(take(sse.iterate({ query: STATUS_EVENTS }), 1)).rejects.toSatisfy(
      (error: unknown) => error instanceof NetworkError && error.response?.status === 401,
    );
    expect((await demo.subgraphs.orders.stats()).openStreams).toBe(0);
  });

  it('closes a WebSocket whose connection_init carries invalid credentials with 4403 UNAUTHENTICATED', async () => {
    const url = demo.portico.bff('web').url.replace(/^http/, 'ws');
    const ws = createWsClient({ url, webSocketImpl: WebSocket, connectionParams: BAD, retryAttempts: 0 });
    await expect(take(ws.iterate({ query: STATUS_EVENTS }), 1)).rejects.toMatchObject({ code: 4403, reason: 'UNAUTHENTICATED' });
    await ws.dispose();
  });

  it('answers a WebSocket subscription without credentials with an error message coded UNAUTHENTICATED', async () => {
    const url = demo.portico.bff('web').url.replace(/^http/, 'ws');
    const ws = createWsClient({ url, webSocketImpl: WebSocket, retryAttempts: 0 });
    await expect(take(ws.iterate({ query: STATUS_EVENTS }), 1)).rejects.toEqual([
      expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) }),
    ]);
    await ws.dispose();
  });

  it('refuses a multipart subscription with invalid credentials: 401 UNAUTHENTICATED as JSON, which Apollo Client reports as an error', async () => {
    const url = demo.portico.bff('web').url;
    const response = await subscribeWithBadToken('multipart/mixed;boundary=graphql;subscriptionSpec=1.0,application/json');
    expect(response.status).toBe(401);
    expect(((await response.json()) as { errors: { extensions: { code: string } }[] }).errors[0]?.extensions.code).toBe('UNAUTHENTICATED');
    const apollo = new ApolloClient({ link: new HttpLink({ uri: url, headers: BAD }), cache: new InMemoryCache() });
    const outcome = await new Promise<unknown>((resolve) => {
      apollo.subscribe({ query: apolloGql(STATUS_EVENTS) }).subscribe({
        next: (result) => resolve(result.error ?? result.data),
        error: (error) => resolve(error),
      });
    });
    // CombinedGraphQLErrors: the response's errors, as Apollo Client hands them to the app.
    expect(outcome).toMatchObject({ errors: [expect.objectContaining({ extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) })] });
  });
});
