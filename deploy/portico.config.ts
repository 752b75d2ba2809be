// The root config of a container deployment (docker-compose.yml, deploy/k8s/configmap.yaml holds
// the same file). The BFFs and the sources registry ship in the image under /app; this file only
// decides which of them run and how the process is operated. Every setting is documented in
// docs/operations.md and src/config/operationsSchema.ts.
export default (env: Record<string, string | undefined>) => ({
  sources: '/app/schemas/sources.ts',
  bffs: ['/app/bffs/web', '/app/bffs/mobile', '/app/bffs/partner'],
  // Scraped by Prometheus on the pod network; keep it out of every Service clients can reach
  // (deploy/k8s/networkpolicy.yaml allows only the monitoring namespace). POST /admin/* needs
  // the bearer token in PORTICO_ADMIN_TOKEN (the `portico-admin` Secret).
  admin: { host: '0.0.0.0', port: Number(env.ADMIN_PORT ?? 9400), token: { env: 'PORTICO_ADMIN_TOKEN' } },
  // The Redis of the fleet comes from REDIS_URL (a Secret in Kubernetes).
  shutdown: {
    // Kubernetes takes the pod out of the Service by itself and the preStop hook waits for
    // that; behind a balancer that polls /readyz, set UNREADY_DELAY_MS to its interval × 2.
    unreadyDelayMs: Number(env.UNREADY_DELAY_MS ?? 0),
    // Inside terminationGracePeriodSeconds (30 s) after the 5 s preStop sleep.
    drainTimeoutMs: 20_000,
  },
  // A ConfigMap update reaches the mounted file within a minute; watching applies it then.
  reload: { watch: env.PORTICO_WATCH_CONFIG === 'true' },
  // On when OTEL_EXPORTER_OTLP_ENDPOINT is set; clients' traceparent only linked (the edge).
  tracing: { trustIncomingTraceparent: false },
});
