import { z } from 'zod';

/**
 * A hand-written schema of the Kubernetes fields deploy/k8s uses, after the API reference
 * (v1.30): types, formats and required fields, strict wherever the manifests spell an object out
 * so a misspelt key fails here as `kubectl apply --validate=strict` would. It is a subset: a
 * field the manifests do not use is not described (and so refused). The full OpenAPI schemas
 * (npm `kubernetes-models`) would check the rest; they are not installed here (no network).
 */

const dns1123Label = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(63);
const dns1123Subdomain = z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/).max(253);
const portName = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(15);
const portNumber = z.number().int().min(1).max(65_535);
const intOrName = z.union([portNumber, portName]);
const labelValue = z.string().regex(/^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/).max(63);
const labelKey = z.string().regex(/^([a-z0-9]([-a-z0-9.]*[a-z0-9])?\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/);
const labels = z.record(labelKey, labelValue);
const quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(m|Ki|Mi|Gi|Ti|k|M|G|T)?$/);
const protocol = z.enum(['TCP', 'UDP', 'SCTP']);

const metadata = z.strictObject({
  name: dns1123Subdomain,
  namespace: dns1123Label.optional(),
  labels: labels.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
const labelSelector = z.strictObject({ matchLabels: labels });

const httpGet = z.strictObject({ path: z.string().startsWith('/'), port: intOrName, scheme: z.enum(['HTTP', 'HTTPS']).optional() });
const probe = z.strictObject({
  httpGet,
  initialDelaySeconds: z.number().int().min(0).optional(),
  periodSeconds: z.number().int().min(1).optional(),
  timeoutSeconds: z.number().int().min(1).optional(),
  successThreshold: z.number().int().min(1).optional(),
  failureThreshold: z.number().int().min(1).optional(),
});

const envVar = z.strictObject({
  name: z.string().regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/),
  value: z.string().optional(),
  valueFrom: z
    .strictObject({
      secretKeyRef: z.strictObject({ name: dns1123Subdomain, key: z.string().min(1), optional: z.boolean().optional() }).optional(),
      configMapKeyRef: z.strictObject({ name: dns1123Subdomain, key: z.string().min(1), optional: z.boolean().optional() }).optional(),
    })
    .optional(),
});

export const containerSchema = z.strictObject({
  name: dns1123Label,
  image: z.string().min(1),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).optional(),
  args: z.array(z.string()).optional(),
  command: z.array(z.string()).optional(),
  ports: z.array(z.strictObject({ name: portName, containerPort: portNumber, protocol })).optional(),
  env: z.array(envVar).optional(),
  envFrom: z.array(z.strictObject({ configMapRef: z.strictObject({ name: dns1123Subdomain }) })).optional(),
  startupProbe: probe.optional(),
  livenessProbe: probe.optional(),
  readinessProbe: probe.optional(),
  lifecycle: z.strictObject({ preStop: z.strictObject({ exec: z.strictObject({ command: z.array(z.string()).min(1) }) }) }).optional(),
  resources: z
    .strictObject({ requests: z.partialRecord(z.enum(['cpu', 'memory']), quantity).optional(), limits: z.partialRecord(z.enum(['cpu', 'memory']), quantity).optional() })
    .optional(),
  securityContext: z
    .strictObject({
      allowPrivilegeEscalation: z.boolean().optional(),
      readOnlyRootFilesystem: z.boolean().optional(),
      capabilities: z.strictObject({ drop: z.array(z.string()).optional(), add: z.array(z.string()).optional() }).optional(),
    })
    .optional(),
  volumeMounts: z.array(z.strictObject({ name: dns1123Label, mountPath: z.string().startsWith('/'), readOnly: z.boolean().optional() })).optional(),
});

export const deploymentSchema = z.strictObject({
  apiVersion: z.literal('apps/v1'),
  kind: z.literal('Deployment'),
  metadata,
  spec: z.strictObject({
    replicas: z.number().int().min(0).optional(),
    revisionHistoryLimit: z.number().int().min(0).optional(),
    selector: labelSelector,
    strategy: z
      .strictObject({
        type: z.enum(['RollingUpdate', 'Recreate']),
        rollingUpdate: z.strictObject({ maxUnavailable: z.union([z.number().int().min(0), z.string().regex(/^\d+%$/)]), maxSurge: z.union([z.number().int().min(0), z.string().regex(/^\d+%$/)]) }).optional(),
      })
      .optional(),
    template: z.strictObject({
      metadata: z.strictObject({ labels, annotations: z.record(z.string(), z.string()).optional() }),
      spec: z.strictObject({
        terminationGracePeriodSeconds: z.number().int().min(0).optional(),
        automountServiceAccountToken: z.boolean().optional(),
        securityContext: z
          .strictObject({
            runAsNonRoot: z.boolean().optional(),
            runAsUser: z.number().int().min(0).optional(),
            runAsGroup: z.number().int().min(0).optional(),
            fsGroup: z.number().int().min(0).optional(),
            seccompProfile: z.strictObject({ type: z.enum(['RuntimeDefault', 'Localhost', 'Unconfined']) }).optional(),
          })
          .optional(),
        topologySpreadConstraints: z
          .array(
            z.strictObject({
              maxSkew: z.number().int().min(1),
              topologyKey: z.string().min(1),
              whenUnsatisfiable: z.enum(['DoNotSchedule', 'ScheduleAnyway']),
              labelSelector,
            }),
          )
          .optional(),
        containers: z.array(containerSchema).min(1),
        volumes: z
          .array(
            z.strictObject({
              name: dns1123Label,
              configMap: z.strictObject({ name: dns1123Subdomain }).optional(),
              emptyDir: z.strictObject({ sizeLimit: quantity.optional(), medium: z.enum(['', 'Memory']).optional() }).optional(),
            }),
          )
          .optional(),
      }),
    }),
  }),
});

export const serviceSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('Service'),
  metadata,
  spec: z.strictObject({
    type: z.enum(['ClusterIP', 'NodePort', 'LoadBalancer']).optional(),
    selector: labels,
    ports: z.array(z.strictObject({ name: portName, port: portNumber, targetPort: intOrName, protocol })).min(1),
  }),
});

export const podDisruptionBudgetSchema = z.strictObject({
  apiVersion: z.literal('policy/v1'),
  kind: z.literal('PodDisruptionBudget'),
  metadata,
  spec: z
    .strictObject({ maxUnavailable: z.number().int().min(0).optional(), minAvailable: z.number().int().min(0).optional(), selector: labelSelector })
    .refine((spec) => (spec.maxUnavailable === undefined) !== (spec.minAvailable === undefined), 'exactly one of maxUnavailable or minAvailable'),
});

export const horizontalPodAutoscalerSchema = z.strictObject({
  apiVersion: z.literal('autoscaling/v2'),
  kind: z.literal('HorizontalPodAutoscaler'),
  metadata,
  spec: z.strictObject({
    scaleTargetRef: z.strictObject({ apiVersion: z.string(), kind: z.string(), name: dns1123Subdomain }),
    minReplicas: z.number().int().min(1),
    maxReplicas: z.number().int().min(1),
    metrics: z
      .array(
        z.strictObject({
          type: z.literal('Resource'),
          resource: z.strictObject({
            name: z.enum(['cpu', 'memory']),
            target: z.strictObject({ type: z.literal('Utilization'), averageUtilization: z.number().int().min(1).max(100) }),
          }),
        }),
      )
      .min(1),
    behavior: z
      .strictObject({
        scaleDown: z.strictObject({
          stabilizationWindowSeconds: z.number().int().min(0).max(3600),
          policies: z.array(z.strictObject({ type: z.enum(['Pods', 'Percent']), value: z.number().int().min(1), periodSeconds: z.number().int().min(1).max(1800) })),
        }),
      })
      .optional(),
  }),
});

export const configMapSchema = z.strictObject({
  apiVersion: z.literal('v1'),
  kind: z.literal('ConfigMap'),
  metadata,
  data: z.record(z.string().regex(/^[-._a-zA-Z0-9]+$/), z.string()),
});

export const networkPolicySchema = z.strictObject({
  apiVersion: z.literal('networking.k8s.io/v1'),
  kind: z.literal('NetworkPolicy'),
  metadata,
  spec: z.strictObject({
    podSelector: labelSelector,
    policyTypes: z.array(z.enum(['Ingress', 'Egress'])),
    ingress: z.array(
      z.strictObject({
        from: z.array(z.strictObject({ namespaceSelector: labelSelector.optional(), podSelector: labelSelector.optional() })).optional(),
        ports: z.array(z.strictObject({ port: intOrName, protocol })),
      }),
    ),
  }),
});

export const kustomizationSchema = z.strictObject({
  apiVersion: z.literal('kustomize.config.k8s.io/v1beta1'),
  kind: z.literal('Kustomization'),
  labels: z.array(z.strictObject({ pairs: labels })).optional(),
  resources: z.array(z.string()).min(1),
});

export const schemaByKind: Record<string, z.ZodType> = {
  Deployment: deploymentSchema,
  Service: serviceSchema,
  PodDisruptionBudget: podDisruptionBudgetSchema,
  HorizontalPodAutoscaler: horizontalPodAutoscalerSchema,
  ConfigMap: configMapSchema,
  NetworkPolicy: networkPolicySchema,
};
