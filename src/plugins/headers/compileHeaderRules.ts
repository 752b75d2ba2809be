import { createHash } from 'node:crypto';
import {
  CREDENTIAL_HEADERS,
  HOP_BY_HOP_HEADERS,
  RESERVED_REQUEST_HEADERS,
  RESERVED_REQUEST_PREFIX,
  RESERVED_RESPONSE_HEADERS,
  type BffHeadersConfig,
  type RequestHeaderRule,
  type ResponseHeaderRule,
  type SourceHeadersConfig,
} from '../../config/headersSchema.js';

/** The client's request headers as header rules read them (a fetch `Headers`, lower-case names). */
export interface ClientHeaders {
  get(name: string): string | null;
  forEach(callback: (value: string, name: string) => void): void;
}

export type SourceResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

/** How one passed-back header collects its values over a request's source answers. */
export interface CollectedHeader {
  merge: 'append' | 'first' | 'last';
  values: string[];
}

/** A BFF's header rules, compiled once per BFF (start or reload); every function is pure. */
export interface HeaderRules {
  /** Some rule forwards client headers or passes source headers back: the plugin has work to do. */
  readonly active: boolean;
  /** The client sent a credential (`authorization`, `cookie`, `x-api-key`) that a request rule names. */
  forwardsCredentials(client: ClientHeaders): boolean;
  /**
   * Digest of every client header value a request rule of the BFF or of one of its sources may
   * forward; undefined when no rule reads a client header. Caches key by it (docs/headers.md).
   */
  forwardedKey(client: ClientHeaders): string | undefined;
  /** The headers a call to `source` carries from the rules, or undefined for none. */
  requestHeaders(source: string, client: ClientHeaders): Record<string, string> | undefined;
  /** Adds the headers `source` answered with that rules pass back to `into` (keyed by the client-side name). */
  collectResponse(source: string, headers: SourceResponseHeaders, into: Map<string, CollectedHeader>): void;
}

interface CompiledRequestRule {
  apply(out: Map<string, string>, client: ClientHeaders, dropped: ReadonlySet<string>): void;
}

interface CompiledResponseRule {
  /** Client-side name for a source header name, or undefined when the rule does not take it. */
  take(name: string): string | undefined;
  merge: CollectedHeader['merge'];
}

/**
 * Compiles a BFF's rules and its sources' rules. A call to a source applies the BFF's request
 * rules, then the source's, in order (so a source can `remove` what the BFF propagates); a
 * source's answer passes back what either list allows.
 */
export function compileHeaderRules(
  bff: BffHeadersConfig,
  sources: Readonly<Record<string, SourceHeadersConfig | undefined>>,
  /** More credential headers than CREDENTIAL_HEADERS: the BFF's API key header when it has another name. @default [] */
  extraCredentials: readonly string[] = [],
): HeaderRules {
  const credentials = new Set([...CREDENTIAL_HEADERS, ...extraCredentials.map((name) => name.toLowerCase())]);
  const patternMayForward = (name: string) => !credentials.has(name) && mayForwardByPattern(name);
  const compileRequestRule = (rule: RequestHeaderRule) => compileRequestRuleWith(rule, patternMayForward);
  const bffRequest = bff.request.map(compileRequestRule);
  const bffResponse = bff.response.map(compileResponseRule);
  const perSource = new Map<string, { request: CompiledRequestRule[]; response: CompiledResponseRule[] }>();
  for (const [name, config] of Object.entries(sources)) {
    if (!config) continue;
    perSource.set(name, {
      request: [...bffRequest, ...config.request.map(compileRequestRule)],
      response: [...bffResponse, ...config.response.map(compileResponseRule)],
    });
  }
  const defaults = { request: bffRequest, response: bffResponse };
  const rulesOf = (source: string) => perSource.get(source) ?? defaults;

  const allRequestRules: RequestHeaderRule[] = [...bff.request, ...Object.values(sources).flatMap((config) => config?.request ?? [])];
  const readNames = new Set<string>();
  const readPatterns: RegExp[] = [];
  for (const rule of allRequestRules) {
    if (!('propagate' in rule)) continue;
    if (typeof rule.propagate === 'string') readNames.add(rule.propagate);
    else readPatterns.push(new RegExp(rule.propagate.matching, 'i'));
  }
  const credentialNames = [...readNames].filter((name) => credentials.has(name));
  const active = allRequestRules.length > 0 || bff.response.length > 0 || Object.values(sources).some((config) => (config?.response.length ?? 0) > 0);

  return {
    active,
    forwardsCredentials: (client) => credentialNames.some((name) => client.get(name) !== null),
    forwardedKey(client) {
      if (readNames.size === 0 && readPatterns.length === 0) return undefined;
      const pairs: [string, string][] = [];
      for (const name of readNames) {
        const value = client.get(name);
        if (value !== null) pairs.push([name, value]);
      }
      if (readPatterns.length > 0) {
        client.forEach((value, name) => {
          if (!readNames.has(name) && patternMayForward(name) && readPatterns.some((re) => re.test(name))) pairs.push([name, value]);
        });
      }
      if (pairs.length === 0) return '';
      pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return createHash('sha256').update(JSON.stringify(pairs)).digest('base64url');
    },
    requestHeaders(source, client) {
      const rules = rulesOf(source).request;
      if (rules.length === 0) return undefined;
      const dropped = connectionTokens(client.get('connection'));
      const out = new Map<string, string>();
      for (const rule of rules) rule.apply(out, client, dropped);
      return out.size === 0 ? undefined : Object.fromEntries(out);
    },
    collectResponse(source, headers, into) {
      const rules = rulesOf(source).response;
      if (rules.length === 0) return;
      const dropped = connectionTokens(headerText(headers['connection']));
      for (const [name, raw] of Object.entries(headers)) {
        if (raw === undefined || dropped.has(name) || HOP_BY_HOP_HEADERS.has(name)) continue;
        for (const rule of rules) {
          const target = rule.take(name);
          if (target === undefined) continue;
          let collected = into.get(target);
          if (!collected) into.set(target, (collected = { merge: rule.merge, values: [] }));
          for (const value of Array.isArray(raw) ? raw : [raw]) collected.values.push(value);
          break;
        }
      }
    },
  };
}

function compileRequestRuleWith(rule: RequestHeaderRule, patternMayForward: (name: string) => boolean): CompiledRequestRule {
  if ('set' in rule) {
    const { set, value } = rule;
    return { apply: (out) => void out.set(set, value) };
  }
  if ('remove' in rule) {
    const { remove } = rule;
    return { apply: (out) => void out.delete(remove) };
  }
  if (typeof rule.propagate === 'string') {
    const name = rule.propagate;
    const target = 'rename' in rule && rule.rename !== undefined ? rule.rename : name;
    const fallback = 'default' in rule ? rule.default : undefined;
    return {
      apply(out, client, dropped) {
        const value = dropped.has(name) ? null : client.get(name);
        if (value !== null) out.set(target, value);
        else if (fallback !== undefined) out.set(target, fallback);
      },
    };
  }
  const pattern = new RegExp(rule.propagate.matching, 'i');
  return {
    apply(out, client, dropped) {
      client.forEach((value, name) => {
        if (!dropped.has(name) && patternMayForward(name) && pattern.test(name)) out.set(name, value);
      });
    },
  };
}

function compileResponseRule(rule: ResponseHeaderRule): CompiledResponseRule {
  if (typeof rule.propagate === 'string') {
    const name = rule.propagate;
    const target = 'rename' in rule && rule.rename !== undefined ? rule.rename : name;
    return { merge: rule.merge, take: (candidate) => (candidate === name ? target : undefined) };
  }
  const pattern = new RegExp(rule.propagate.matching, 'i');
  return {
    merge: rule.merge,
    take: (candidate) => (responsePatternMayPass(candidate) && pattern.test(candidate) ? candidate : undefined),
  };
}

/** What a `matching` request rule may copy besides credentials: never hop-by-hop or the gateway's own headers. */
function mayForwardByPattern(name: string): boolean {
  return (
    !HOP_BY_HOP_HEADERS.has(name) &&
    !RESERVED_REQUEST_HEADERS.has(name) &&
    !name.startsWith(RESERVED_REQUEST_PREFIX)
  );
}

/** What a `matching` response rule may pass back: never `set-cookie` or what the gateway decides. */
function responsePatternMayPass(name: string): boolean {
  return (
    name !== 'set-cookie' &&
    !RESERVED_RESPONSE_HEADERS.has(name) &&
    !name.startsWith('access-control-') &&
    !name.startsWith('x-portico-') &&
    name !== 'expires'
  );
}

/** Header names a message's `Connection` header lists: hop-by-hop for this message (RFC 9110 §7.6.1). */
export function connectionTokens(value: string | null | undefined): ReadonlySet<string> {
  if (!value) return EMPTY;
  return new Set(value.split(',').map((token) => token.trim().toLowerCase()).filter((token) => token !== ''));
}
const EMPTY: ReadonlySet<string> = new Set();

function headerText(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(', ') : value;
}

/** The values a collected header sends: one for `first`/`last`, each distinct one for `append`. */
export function collectedValues(header: CollectedHeader): string[] {
  if (header.values.length === 0) return [];
  if (header.merge === 'first') return [header.values[0]!];
  if (header.merge === 'last') return [header.values.at(-1)!];
  return [...new Set(header.values)];
}
