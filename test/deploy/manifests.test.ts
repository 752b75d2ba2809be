import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { parseAllDocuments } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../../src/config/loadConfig.js';
import { repoRoot } from '../support/portico.js';
import { type K8sObject, type ModelClass, modelFor, officialTypeErrors, validateOfficial } from './k8sValidate.js';

const k8sDir = path.join(repoRoot, 'deploy', 'k8s');

interface Manifest {
  file: string;
  doc: K8sObject;
}

let manifests: Manifest[];
/** The documents of one kind, as kubernetes-models objects (typed after the official definitions). */
const ofKind = <T,>(model: ModelClass<T>): T[] =>
  manifests.filter((m) => m.doc.apiVersion === model.apiVersion && m.doc.kind === model.kind).map((m) => new model(m.doc));
const deploymentOf = () => {
  const [deployment] = ofKind(Deployment);
  const spec = deployment!.spec!.template.spec!;
  return { deployment: deployment!, spec, container: spec.containers[0]! };
};

async function yamlDocs(file: string): Promise<Record<string, any>[]> {
  const docs = parseAllDocuments(await readFile(file, 'utf8'));
  for (const doc of docs) if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
  return docs.map((doc) => doc.toJS() as Record<string, any>);
}

/** kustomization.yaml is kustomize's build file, not an API object: kubernetes-models has no schema for it. */
const kustomizationSchema = z.strictObject({
  apiVersion: z.literal('kustomize.config.k8s.io/v1beta1'),
  kind: z.literal('Kustomization'),
  labels: z.array(z.strictObject({ pairs: z.record(z.string(), z.string()) })).optional(),
  resources: z.array(z.string()).min(1),
});

beforeAll(async () => {
  manifests = [];
  for (const file of (await readdir(k8sDir)).filter((name) => name.endsWith('.yaml') && name !== 'kustomization.yaml')) {
    for (const doc of await yamlDocs(path.join(k8sDir, file))) manifests.push({ file, doc: doc as K8sObject });
  }
});

describe('deploy/k8s', () => {
  it('passes the official schema of its apiVersion/kind (kubernetes-models), every document', async () => {
    expect(manifests.length).toBeGreaterThanOrEqual(7);
    for (const { file, doc } of manifests) {
      const name = `${file} (${String(doc.apiVersion)} ${String(doc.kind)} ${(doc.metadata as { name?: string } | undefined)?.name})`;
      // An unknown kind throws here too: nothing is skipped.
      await expect(validateOfficial(doc), name).resolves.toBeUndefined();
    }
  });

  it('has no field the official definitions lack (a misspelt key), every document', () => {
    const errors = officialTypeErrors(
      manifests.map((m) => m.doc),
      path.dirname(k8sDir),
    );
    expect(errors.map(({ index, message }) => `${manifests[index]?.file ?? '?'}: ${message}`)).toEqual([]);
  });

  it('refuses an invalid document, a misspelt key and an unknown kind', async () => {
    const deployment = structuredClone(manifests.find((m) => m.doc.kind === 'Deployment')!.doc) as Record<string, any>;
    await expect(validateOfficial(deployment)).resolves.toBeUndefined();
    const invalid = structuredClone(deployment);
    invalid.spec.replicas = 'two';
    await expect(validateOfficial(invalid)).rejects.toThrow('data/spec/replicas must be integer');

    const misspelt = structuredClone(deployment);
    misspelt.spec.template.spec.containers[0].readinesProbe = misspelt.spec.template.spec.containers[0].readinessProbe;
    await expect(validateOfficial(misspelt)).resolves.toBeUndefined(); // the schema leaves unknown fields open...
    const errors = officialTypeErrors([misspelt as K8sObject], path.dirname(k8sDir)); // ...the interfaces do not
    expect(errors.map((error) => error.message)).toEqual([expect.stringContaining("'\"readinesProbe\"' does not exist in type 'IContainer'")]);

    await expect(modelFor('apps/v1', 'Deploymnet')).rejects.toThrow('unknown kind');
    await expect(modelFor('apps/v1', 'DeploymentSpec')).rejects.toThrow('unknown kind');
    await expect(modelFor('example.com/v1', 'Widget')).rejects.toThrow('unknown kind');
    await expect(validateOfficial({ ...deployment, apiVersion: 'apps/v1beta9' })).rejects.toThrow('unknown kind');
  });

  it('has a Deployment probing /healthz (startup, liveness) and /readyz (readiness) on a declared port', () => {
    const { spec, container } = deploymentOf();
    const portNames = new Set(container.ports!.map((port) => port.name));
    expect(container.readinessProbe?.httpGet?.path).toBe('/readyz');
    expect(container.livenessProbe?.httpGet?.path).toBe('/healthz');
    expect(container.startupProbe?.httpGet?.path).toBe('/healthz');
    for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe]) {
      expect(portNames).toContain(probe!.httpGet!.port);
    }
    // Runs as the image's unprivileged user with nothing writable but /tmp.
    expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
    expect(container.securityContext).toMatchObject({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
    const volumes = new Map(spec.volumes!.map((volume) => [volume.name, volume]));
    for (const mount of container.volumeMounts!) expect(volumes.has(mount.name), mount.name).toBe(true);
    expect(container.volumeMounts!.find((mount) => mount.mountPath === '/tmp')).toBeDefined();
  });

  it('drains inside the termination grace period: preStop + drainTimeoutMs < terminationGracePeriodSeconds', async () => {
    const { spec, container } = deploymentOf();
    const preStopSeconds = Number(container.lifecycle!.preStop!.exec!.command!.at(-1));
    expect(preStopSeconds).toBeGreaterThan(0);
    const config = await loadDeployConfig();
    expect(preStopSeconds * 1000 + config.shutdown.drainTimeoutMs + config.shutdown.unreadyDelayMs).toBeLessThan(spec.terminationGracePeriodSeconds! * 1000);
  });

  it('wires every selector, port and reference to something that exists', () => {
    const { deployment, spec, container } = deploymentOf();
    const podLabels = deployment.spec!.template.metadata!.labels!;
    const matches = (selector: Record<string, string> | undefined) =>
      selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([key, value]) => podLabels[key] === value);
    expect(matches(deployment.spec!.selector.matchLabels)).toBe(true);
    const portNames = new Set(container.ports!.map((port) => port.name));

    for (const service of ofKind(Service)) {
      expect(matches(service.spec!.selector)).toBe(true);
      for (const port of service.spec!.ports!) expect(portNames).toContain(port.targetPort);
      // The admin listener is for the operator, never behind the client-facing Service.
      expect(service.spec!.ports!.map((port) => port.targetPort)).not.toContain('admin');
    }
    const [pdb] = ofKind(PodDisruptionBudget);
    expect(matches(pdb!.spec!.selector!.matchLabels)).toBe(true);
    const [hpa] = ofKind(HorizontalPodAutoscaler);
    expect(hpa!.spec!.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata!.name });
    const minReplicas = hpa!.spec!.minReplicas ?? 1;
    expect(minReplicas).toBeLessThanOrEqual(hpa!.spec!.maxReplicas);
    // A voluntary disruption never takes the fleet below two pods.
    const maxUnavailable = pdb!.spec!.maxUnavailable ?? 0;
    expect(typeof maxUnavailable, 'the PDB counts pods, not a percentage').toBe('number');
    expect(minReplicas - Number(maxUnavailable)).toBeGreaterThanOrEqual(2);
    const [policy] = ofKind(NetworkPolicy);
    expect(matches(policy!.spec!.podSelector.matchLabels)).toBe(true);
    const adminRule = policy!.spec!.ingress!.find((rule) => rule.ports?.some((port) => port.port === 9400));
    expect(adminRule?.from?.length).toBeGreaterThan(0);

    const configMaps = new Set(ofKind(ConfigMap).map((map) => map.metadata!.name));
    for (const source of container.envFrom ?? []) expect(configMaps).toContain(source.configMapRef!.name);
    for (const volume of spec.volumes ?? []) if (volume.configMap) expect(configMaps).toContain(volume.configMap.name);
  });

  it('lists every manifest in the kustomization', async () => {
    const [kustomization] = await yamlDocs(path.join(k8sDir, 'kustomization.yaml'));
    const parsed = kustomizationSchema.parse(kustomization);
    expect(new Set(parsed.resources)).toEqual(new Set(manifests.map((m) => m.file)));
  });

  it('ships the container root config in the ConfigMap, identical to deploy/portico.config.ts and valid', async () => {
    const configMap = ofKind(ConfigMap).find((map) => map.metadata!.name === 'portico-config')!;
    expect(configMap.data!['portico.config.ts']).toBe(await readFile(path.join(repoRoot, 'deploy', 'portico.config.ts'), 'utf8'));
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
    // The compiled build: a stage runs `npm run build`, the final one copies its dist/ and runs it with plain node.
    expect(dockerfile).toMatch(/^RUN npm run build$/m);
    expect(lines).toContain('COPY --from=build --chown=root:root /app/dist ./dist');
    expect(lines.filter((line) => /^ENTRYPOINT\s/.test(line)).at(-1)).toBe('ENTRYPOINT ["node", "dist/main.js"]');
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
  return loadConfig(file, { BFF_HOST: '0.0.0.0', REDIS_URL: 'redis://redis:6379', PORTICO_ADMIN_TOKEN: 'x'.repeat(32) });
}
