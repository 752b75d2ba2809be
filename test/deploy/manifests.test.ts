import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { loadConfig } from '../../src/config/loadConfig.js';
import { repoRoot } from '../support/portico.js';
import {
  configMapSchema,
  deploymentSchema,
  horizontalPodAutoscalerSchema,
  kustomizationSchema,
  networkPolicySchema,
  podDisruptionBudgetSchema,
  schemaByKind,
  serviceSchema,
} from './k8sSchemas.js';

const k8sDir = path.join(repoRoot, 'deploy', 'k8s');

interface Manifest {
  file: string;
  doc: Record<string, any>;
}

let manifests: Manifest[];
const ofKind = <T extends z.ZodType>(kind: string, schema: T): z.output<T>[] =>
  manifests.filter((m) => m.doc.kind === kind).map((m) => schema.parse(m.doc));

async function yamlDocs(file: string): Promise<Record<string, any>[]> {
  const docs = parseAllDocuments(await readFile(file, 'utf8'));
  for (const doc of docs) if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
  return docs.map((doc) => doc.toJS() as Record<string, any>);
}

beforeAll(async () => {
  manifests = [];
  for (const file of (await readdir(k8sDir)).filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml')) {
    for (const doc of await yamlDocs(path.join(k8sDir, file))) manifests.push({ file, doc });
  }
});

describe('deploy/k8s', () => {
  it('passes schema validation, every document', () => {
    expect(manifests.length).toBeGreaterThanOrEqual(7);
    for (const { file, doc } of manifests) {
      const schema = schemaByKind[doc.kind as string];
      expect(schema, `${file}: unknown kind ${doc.kind}`).toBeDefined();
      const result = schema!.safeParse(doc);
      expect(result.success, `${file} (${doc.kind} ${doc.metadata?.name}): ${result.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`).toBe(true);
    }
  });

  it('refuses what a typo would produce (the schema is strict)', () => {
    const deployment = structuredClone(manifests.find((m) => m.doc.kind === 'Deployment')!.doc);
    deployment.spec.template.spec.containers[0].readinesProbe = deployment.spec.template.spec.containers[0].readinessProbe;
    expect(deploymentSchema.safeParse(deployment).success).toBe(false);
    const service = structuredClone(manifests.find((m) => m.doc.kind === 'Service')!.doc);
    service.spec.ports[0].port = 70_000;
    expect(serviceSchema.safeParse(service).success).toBe(false);
  });

  it('has a Deployment probing /healthz (startup, liveness) and /readyz (readiness) on a declared port', () => {
    const [deployment] = ofKind('Deployment', deploymentSchema);
    const container = deployment!.spec.template.spec.containers[0]!;
    const portNames = new Set(container.ports!.map((port) => port.name));
    expect(container.readinessProbe?.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe?.httpGet.path).toBe('/healthz');
    expect(container.startupProbe?.httpGet.path).toBe('/healthz');
    for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
      expect(portNames).toContain(probe!.httpGet.port);
    }
    // Runs as the image's unprivileged user with nothing writable but /tmp.
    expect(deployment!.spec.template.spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    const volumes = new Map(deployment!.spec.template.spec.volumes!.map((volume) => [volume.name, volume]));
    for (const mount of container.volumeMounts!) expect(volumes.has(mount.name), mount.name).toBe(true);
    expect(container.volumeMounts!.find((mount) => mount.mountPath === '/tmp')).toBeDefined();
  });

  it('drains inside the termination grace period: preStop + drainTimeoutMs < terminationGracePeriodSeconds', async () => {
    const [deployment] = ofKind('Deployment', deploymentSchema);
    const spec = deployment!.spec.template.spec;
    const preStopSeconds = Number(spec.containers[0]!.lifecycle!.preStop.exec.command.at(-1));
    const config = await loadDeployConfig();
    expect(preStopSeconds * 1000 + config.shutdown.drainTimeoutMs + config.shutdown.unreadyDelayMs).toBeLessThan(spec.terminationGracePeriodSeconds! * 1000);
  });

  it('wires every selector, port and reference to something that exists', () => {
    const [deployment] = ofKind('Deployment', deploymentSchema);
    const podLabels = deployment!.spec.template.metadata.labels;
    const matches = (selector: Record<string, string>) => Object.entries(selector).every(([key, value]) => podLabels[key] === value);
    expect(matches(deployment!.spec.selector.matchLabels)).toBe(true);
    const container = deployment!.spec.template.spec.containers[0]!;
    const portNames = new Set(container.ports!.map((port) => port.name));

    for (const service of ofKind('Service', serviceSchema)) {
      expect(matches(service.spec.selector)).toBe(true);
      for (const port of service.spec.ports) expect(portNames).toContain(port.targetPort);
      // The admin listener is for the operator, never behind the client-facing Service.
      expect(service.spec.ports.map((port) => port.targetPort)).not.toContain('admin');
    }
    const [pdb] = ofKind('PodDisruptionBudget', podDisruptionBudgetSchema);
    expect(matches(pdb!.spec.selector.matchLabels)).toBe(true);
    const [hpa] = ofKind('HorizontalPodAutoscaler', horizontalPodAutoscalerSchema);
    expect(hpa!.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment!.metadata.name });
    expect(hpa!.spec.minReplicas).toBeLessThanOrEqual(hpa!.spec.maxReplicas);
    // A voluntary disruption never takes the fleet below two pods.
    expect(hpa!.spec.minReplicas - (pdb!.spec.maxUnavailable ?? 0)).toBeGreaterThanOrEqual(2);
    const [policy] = ofKind('NetworkPolicy', networkPolicySchema);
    expect(matches(policy!.spec.podSelector.matchLabels)).toBe(true);
    const adminRule = policy!.spec.ingress.find((rule) => rule.ports.some((port) => port.port === 9400));
    expect(adminRule?.from?.length).toBeGreaterThan(0);

    const configMaps = new Set(ofKind('ConfigMap', configMapSchema).map((map) => map.metadata.name));
    for (const source of container.envFrom ?? []) expect(configMaps).toContain(source.configMapRef.name);
    for (const volume of deployment!.spec.template.spec.volumes ?? []) if (volume.configMap) expect(configMaps).toContain(volume.configMap.name);
  });

  it('lists every manifest in the kustomization', async () => {
    const [kustomization] = await yamlDocs(path.join(k8sDir, 'kustomization.yaml'));
    const parsed = kustomizationSchema.parse(kustomization);
    expect(new Set(parsed.resources)).toEqual(new Set(manifests.map((m) => m.file)));
  });

  it('ships the container root config in the ConfigMap, identical to deploy/portico.config.ts and valid', async () => {
    const configMap = ofKind('ConfigMap', configMapSchema).find((map) => map.metadata.name === 'portico-config')!;
    expect(configMap.data['portico.config.ts']).toBe(await readFile(path.join(repoRoot, 'deploy', 'portico.config.ts'), 'utf8'));
    const config = await loadDeployConfig();
    expect(config.bffs.map((bff) => bff.name)).toEqual(['web', 'mobile', 'partner']);
    expect(config.bffs.every((bff) => bff.host === '0.0.0.0')).toBe(true);
    expect(config.admin).toMatchObject({ host: '0.0.0.0', port: 9400 });
    expect(config.redis?.url).toBe('redis://redis:6379');
  });
});

describe('docker-compose.yml, deploy/nginx.conf and the Dockerfile', () => {
  it('runs two instances on one Redis behind the load balancer, for every BFF port', async () => {
    const [compose] = await yamlDocs(path.join(repoRoot, 'docker-compose.yml'));
    const services = compose!.services as Record<string, any>;
    for (const name of ['redis', 'portico-1', 'portico-2', 'lb', 'users', 'orders', 'products', 'inventory', 'idp']) expect(services, name).toHaveProperty(name);
    for (const name of ['portico-1', 'portico-2']) {
      expect(services[name].environment.REDIS_URL).toBe('redis://redis:6379');
      expect(services[name].depends_on.redis.condition).toBe('service_healthy');
    }
    const nginx = await readFile(path.join(repoRoot, 'deploy', 'nginx.conf'), 'utf8');
    for (const port of [4000, 4001, 4002]) {
      expect(nginx).toContain(`server portico-1:${port}`);
      expect(nginx).toContain(`server portico-2:${port}`);
      expect(services.lb.ports).toContain(`${port}:${port}`);
    }
    expect(nginx).toMatch(/proxy_next_upstream error timeout;/);
  });

  it('builds in stages, installs production dependencies only, runs as a non-root user, and copies files that exist', async () => {
    const dockerfile = await readFile(path.join(repoRoot, 'Dockerfile'), 'utf8');
    const lines = dockerfile.split('\n').filter((line) => line.trim() && !line.trim().startsWith('#'));
    expect(lines.filter((line) => /^FROM\s/.test(line)).length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    const user = lines.filter((line) => /^USER\s/.test(line)).at(-1);
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER\s+(root|0)(\s|:|$)/);
    for (const line of lines.filter((l) => /^COPY\s/.test(l) && !l.includes('--from='))) {
      const parts = line.split(/\s+/).filter((part) => !part.startsWith('--'));
      for (const source of parts.slice(1, -1)) expect(existsSync(path.join(repoRoot, source)), `COPY ${source}`).toBe(true);
    }
  });
});

/** deploy/portico.config.ts loaded for real, its /app paths pointed at this checkout. */
async function loadDeployConfig() {
  const text = await readFile(path.join(repoRoot, 'deploy', 'portico.config.ts'), 'utf8');
  const dir = await mkdtemp(path.join(tmpdir(), 'portico-deploy-config-'));
  const file = path.join(dir, 'portico.config.ts');
  await writeFile(file, text.replaceAll("'/app/", `'${repoRoot}/`));
  return loadConfig(file, { BFF_HOST: '0.0.0.0', REDIS_URL: 'redis://redis:6379' });
}
