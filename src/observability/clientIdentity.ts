/**
 * Client awareness: which app (and which build of it) sent a request, from the headers Apollo
 * and GraphOS clients already send: `graphql-client-name` / `graphql-client-version`, or
 * `apollographql-client-name` / `-version`. A label, a log field and a span attribute, never an
 * identity: anyone can send any value, so nothing is decided by it.
 */
export interface ClientIdentity {
  /** Sanitised; absent when the request named no client. */
  name?: string;
  version?: string;
}

/** Anything else becomes `_`: label values, log fields and attributes stay plain and short. */
const UNSAFE = /[^A-Za-z0-9._\-/+@]/g;
const MAX_LENGTH = 64;

export function sanitiseClientValue(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const trimmed = value.trim().slice(0, MAX_LENGTH);
  return trimmed === '' ? undefined : trimmed.replace(UNSAFE, '_');
}

/**
 * What a request that names no client (most of them) gets: one shared object, not a new one per
 * request that the access log and the metrics each keep for as long as the request lives.
 */
const NO_CLIENT_IDENTITY: ClientIdentity = Object.freeze({});

/** The client a request names; `graphql-client-*` wins over `apollographql-client-*`. */
export function clientIdentityOf(headers: { get(name: string): string | null }): ClientIdentity {
  const name = sanitiseClientValue(headers.get('graphql-client-name') ?? headers.get('apollographql-client-name'));
  const version = sanitiseClientValue(headers.get('graphql-client-version') ?? headers.get('apollographql-client-version'));
  if (name === undefined && version === undefined) return NO_CLIENT_IDENTITY;
  return { ...(name !== undefined ? { name } : {}), ...(version !== undefined ? { version } : {}) };
}

/** Label value of a client the budget has no room for. */
export const OTHER_CLIENT = 'other';
/** Label value of a request that named no client (or no version). */
export const NO_CLIENT = 'none';

export interface ClientLabelBudget {
  /** Names that always keep their own value. */
  names: readonly string[];
  /** Further names learned, first seen first. */
  maxLearned: number;
  /** Versions per name, first seen first. */
  maxVersions: number;
}

/**
 * Bounded `client_name`/`client_version` label values for one BFF: configured names always, then
 * the first `maxLearned` names `admit` saw (executed operations only), each with its first
 * `maxVersions` versions; the rest is `other`. Worst case per BFF: (names + maxLearned + 2) ×
 * (maxVersions + 2) value pairs, whatever clients send.
 */
export interface ClientLabels {
  /** Learns the client of an executed operation while the budget lasts. */
  admit(client: ClientIdentity): void;
  labels(client: ClientIdentity): { client_name: string; client_version: string };
}

export function createClientLabels(budget: ClientLabelBudget): ClientLabels {
  const configured = new Set(budget.names);
  const learned = new Set<string>();
  const versions = new Map<string, Set<string>>();
  const known = (name: string) => configured.has(name) || learned.has(name);
  return {
    admit({ name, version }) {
      if (name === undefined) return;
      if (!known(name)) {
        if (learned.size >= budget.maxLearned) return;
        learned.add(name);
      }
      if (version === undefined) return;
      let seen = versions.get(name);
      if (!seen) versions.set(name, (seen = new Set()));
      if (seen.size < budget.maxVersions) seen.add(version);
    },
    labels({ name, version }) {
      if (name === undefined) return { client_name: NO_CLIENT, client_version: NO_CLIENT };
      if (!known(name)) return { client_name: OTHER_CLIENT, client_version: OTHER_CLIENT };
      if (version === undefined) return { client_name: name, client_version: NO_CLIENT };
      return { client_name: name, client_version: versions.get(name)?.has(version) ? version : OTHER_CLIENT };
    },
  };
}
