import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { runPortico } from '../../support/cli.js';

// `portico demo` starts its subgraphs first: a gateway that then cannot start must not leave them
// running and holding the demo's ports (the next `npm start` would fail on them).

function refused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname);
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

describe('portico demo when the gateway cannot start', () => {
  it('exits 78 naming the setting at fault, and its subgraphs are gone with it', async () => {
    const ports = { USERS_PORT: '0', ORDERS_PORT: '0', PRODUCTS_PORT: '0', INVENTORY_PORT: '0', IDP_PORT: '0' };
    const { code, stderr, stdout } = await runPortico(['demo'], { ...ports, PORTICO_NODE_ADAPTER: 'sometimes' }).exited;
    expect(code).toBe(78);
    expect(stderr).toMatch(/PORTICO_NODE_ADAPTER: expected on or off, got "sometimes"/);
    const urls = [...stdout.matchAll(/^subgraph \S+\s+(http:\S+)$/gm)].map((match) => match[1]!);
    expect(urls).toHaveLength(5);
    for (const url of urls) expect(await refused(url)).toBe(true);
  });
});
