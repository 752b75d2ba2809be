/**
 * The configured source a transport name belongs to. Transports are named `source`,
 * `source/subgraph` (a federation source's subgraph) or `source@version` (a traffic version,
 * docs/traffic.md); what is configured per source (TLS material, resilience, versions) is found
 * under the part before either separator.
 */
export function parentSource(name: string): string {
  return name.split(/[/@]/, 1)[0]!;
}
