import { isDeepStrictEqual } from 'node:util';
import { Agent } from 'undici';
import type { UpstreamTlsMaterial } from '../config/upstreamTlsSchema.js';
import { parentSource } from './parentSource.js';

/** What the pools of sources without `tls` are built with too (src/transport/httpClient.ts). */
export type PoolOptions = Pick<Agent.Options, 'connections' | 'keepAliveTimeout' | 'headersTimeout' | 'bodyTimeout'>;

/** A source as far as its pool is concerned: its `tls`, as read at config load. */
export interface PooledSource {
  tlsMaterial?: UpstreamTlsMaterial | undefined;
}

export interface SourceAgents {
  /** The pool of a source with `tls` (`name`, `name/subgraph` or `name@version`); undefined: the shared pool. */
  agentFor(source: string): Agent | undefined;
  /**
   * Builds the pools of a (re)loaded registry: a source whose TLS material is unchanged keeps its
   * pool (warm connections), a changed one gets a new pool from the next call on, and pools no
   * longer used are closed (their requests in flight finish first).
   */
  use(sources: Readonly<Record<string, PooledSource>>): void;
  close(): Promise<void>;
}

/** What a source's `tls` makes of an Agent: its CA bundle, client certificate and HTTP/2. */
export function tlsAgentOptions(material: UpstreamTlsMaterial): Pick<Agent.Options, 'allowH2' | 'connect'> {
  return {
    // ALPN offers h2 then http/1.1; the source picks.
    allowH2: material.http2,
    connect: {
      ...(material.ca !== undefined ? { ca: material.ca } : {}),
      ...(material.cert !== undefined ? { cert: material.cert, key: material.key } : {}),
    },
  };
}

/**
 * One undici Agent per source that has `tls`, so its CA bundle, client certificate and HTTP/2
 * apply to its connections only: undici keys pools by origin, and TLS settings are per Agent, so
 * a source's settings cannot ride on the pool shared by every other source.
 */
export function createSourceAgents(pool: PoolOptions): SourceAgents {
  let agents = new Map<string, { material: UpstreamTlsMaterial; agent: Agent }>();
  const build = (material: UpstreamTlsMaterial) => new Agent({ ...pool, ...tlsAgentOptions(material) });
  return {
    agentFor(source) {
      if (agents.size === 0) return undefined;
      return agents.get(parentSource(source))?.agent;
    },
    use(sources) {
      const next = new Map<string, { material: UpstreamTlsMaterial; agent: Agent }>();
      for (const [name, source] of Object.entries(sources)) {
        if (!source.tlsMaterial) continue;
        const previous = agents.get(name);
        next.set(name, previous && isDeepStrictEqual(previous.material, source.tlsMaterial) ? previous : { material: source.tlsMaterial, agent: build(source.tlsMaterial) });
      }
      const retired = [...agents.values()].filter((entry) => ![...next.values()].includes(entry));
      agents = next;
      for (const { agent } of retired) void agent.close().catch(() => undefined);
    },
    async close() {
      const all = [...agents.values()];
      agents = new Map();
      await Promise.all(all.map(({ agent }) => agent.close()));
    },
  };
}
