import { Counter, Gauge, register } from 'prom-client';

/**
 * Fleet series (prom-client's default registry, which `/metrics` serves), present when the
 * instance has joined a fleet (src/runtime/fleet.ts):
 *
 *   portico_fleet_config_version{view}     the fleet's config version as `fleet` (Redis' counter,
 *                                          last read) and as `applied` here; applied < fleet for
 *                                          longer than a resync interval means a stuck instance
 *   portico_fleet_resyncs_total{result}    periodic comparisons: current | caught_up (a missed
 *                                          notice healed by a reload) | failed (Redis unreachable)
 *   portico_fleet_instances{state}         instances this one hears from: live | stale (silent, or
 *                                          behind the fleet's config version)
 */
export interface FleetMetrics {
  configVersion: Gauge<'view'>;
  resyncs: Counter<'result'>;
  instances: Gauge<'state'>;
}

export type ResyncResult = 'current' | 'caught_up' | 'failed';

let metrics: FleetMetrics | undefined;

export function fleetMetrics(): FleetMetrics {
  if (metrics) return metrics;
  const get = <T>(name: string) => register.getSingleMetric(name) as T | undefined;
  metrics = {
    configVersion:
      get('portico_fleet_config_version') ??
      new Gauge({
        name: 'portico_fleet_config_version',
        help: "The fleet's config version: as announced in Redis (view=fleet) and as applied by this instance (view=applied).",
        labelNames: ['view'],
      }),
    resyncs:
      get('portico_fleet_resyncs_total') ??
      new Counter({
        name: 'portico_fleet_resyncs_total',
        help: "Periodic comparisons with the fleet's config version: current, caught_up (a missed notice healed), failed (Redis unreachable).",
        labelNames: ['result'],
      }),
    instances:
      get('portico_fleet_instances') ??
      new Gauge({
        name: 'portico_fleet_instances',
        help: 'Fleet instances this instance hears from, by state: live, or stale (silent, or behind the fleet config version).',
        labelNames: ['state'],
      }),
  };
  // Every series exists from the moment the instance joins, so alerts and dashboards see zeros
  // rather than nothing.
  for (const view of ['fleet', 'applied']) metrics.configVersion.set({ view }, 0);
  for (const result of ['current', 'caught_up', 'failed'] satisfies ResyncResult[]) metrics.resyncs.inc({ result }, 0);
  for (const state of ['live', 'stale']) metrics.instances.set({ state }, 0);
  return metrics;
}
