import { ApiObject, Duration, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { ResourceConfig, ServiceTypeName } from '../config/config.js';
import { parseCpuMillis } from '../config/quantities.js';
import { INGRESS_NGINX_NAMESPACE, TOPOLOGY_SERVICES } from '../api/objects.js';
import { INGRESS_NGINX_CONFIGMAP, IngressNginxTuning } from './ingress-nginx-tuning.js';
import { serviceWithoutEmptyFields, setContainerResources, withoutServerDefaults } from './restricted-deployment.js';

/** The labels upstream ingress-nginx's controller pods carry (and minikube's addon's too). */
export const INGRESS_NGINX_CONTROLLER_LABELS: Readonly<Record<string, string>> = {
  'app.kubernetes.io/name': 'ingress-nginx',
  'app.kubernetes.io/component': 'controller',
};
export const INGRESS_CLASS_NAME = 'nginx';
const NAME = INGRESS_NGINX_CONFIGMAP;
const SERVICE_ACCOUNT = 'ingress-nginx';
const LEADER_ELECTION_ID = 'ingress-nginx-leader';
/** The ingress-nginx image's user and group. */
const INGRESS_NGINX_UID = 101;
const INGRESS_NGINX_GID = 82;

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };

// RBAC as upstream's controller-v1.15.1 manifest grants it, less the admission webhook's.
const NAMESPACED_RULES: Rule[] = [
  { apiGroups: [''], resources: ['namespaces'], verbs: ['get'] },
  { apiGroups: [''], resources: ['configmaps', 'pods', 'secrets', 'endpoints'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses/status'], verbs: ['update'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingressclasses'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], resourceNames: [LEADER_ELECTION_ID], verbs: ['get', 'update'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch', 'get'] },
];
const CLUSTER_RULES: Rule[] = [
  { apiGroups: [''], resources: ['configmaps', 'endpoints', 'nodes', 'pods', 'secrets', 'namespaces'], verbs: ['list', 'watch'] },
  { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['list', 'watch'] },
  { apiGroups: [''], resources: ['nodes'], verbs: ['get'] },
  { apiGroups: [''], resources: ['services'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: [''], resources: ['events'], verbs: ['create', 'patch'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses/status'], verbs: ['update'] },
  { apiGroups: ['networking.k8s.io'], resources: ['ingressclasses'], verbs: ['get', 'list', 'watch'] },
  { apiGroups: ['discovery.k8s.io'], resources: ['endpointslices'], verbs: ['list', 'watch', 'get'] },
];

export interface IngressNginxControllerProps {
  /** The controller image, pinned by digest. */
  readonly image: string;
  readonly resources: ResourceConfig;
  /** Idle keep-alive connections to upstream pods per worker. @default 320 (upstream's default) */
  readonly upstreamKeepalive?: number;
  /** @default one per CPU of the limit, rounded up */
  readonly workerProcesses?: number;
  /** Bind host ports 80 and 443 (kind: the node's port mappings carry them to the host). @default false */
  readonly hostPorts?: boolean;
  /** Nodes the controller may run on (kind: the one with the port mappings). @default any Linux node */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  /** @default 'NodePort' */
  readonly serviceType?: ServiceTypeName;
}

/**
 * The ingress-nginx controller (upstream's controller-v1.15.1, its last release: the project is
 * retired since March 2026) in its own namespace: RBAC, IngressClass `nginx`, the ConfigMap that
 * tunes upstream keep-alive like the `nginx` topology, the Service and the Deployment.
 * The admission webhook is left out: it only validates Ingress syntax, needs a second image and
 * two certificate Jobs, and rejects every Ingress until it serves.
 */
export class IngressNginxController extends Construct {
  public readonly deployment: kplus.Deployment;
  public readonly service: kplus.Service;

  constructor(scope: Construct, id: string, props: IngressNginxControllerProps) {
    super(scope, id);
    const workerProcesses = props.workerProcesses ?? Math.ceil(parseCpuMillis('cpu', props.resources.cpu) / 1000);
    const hostPorts = props.hostPorts ?? false;
    if (!/@sha256:[a-f0-9]{64}$|:[A-Za-z0-9_.-]+$/.test(props.image))
      throw new Error(`IngressNginxController: image "${props.image}" is not pinned`);

    const namespace = new kplus.Namespace(this, 'Namespace', {
      metadata: { name: INGRESS_NGINX_NAMESPACE, labels: { 'app.kubernetes.io/name': 'ingress-nginx' } },
    });
    const meta = (name: string) => ({ name, namespace: INGRESS_NGINX_NAMESPACE, labels: { ...INGRESS_NGINX_CONTROLLER_LABELS } });
    const serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', { metadata: meta(SERVICE_ACCOUNT), automountToken: true });
    const subjects = [{ kind: 'ServiceAccount', name: SERVICE_ACCOUNT, namespace: INGRESS_NGINX_NAMESPACE }];
    new ApiObject(this, 'Role', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'Role',
      metadata: meta('ingress-nginx'),
      rules: NAMESPACED_RULES,
    });
    new ApiObject(this, 'RoleBinding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta('ingress-nginx'),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'ingress-nginx' },
      subjects,
    });
    new ApiObject(this, 'ClusterRole', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx' } },
      rules: CLUSTER_RULES,
    });
    new ApiObject(this, 'ClusterRoleBinding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'ingress-nginx', labels: { 'app.kubernetes.io/name': 'ingress-nginx' } },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'ingress-nginx' },
      subjects,
    });
    new ApiObject(this, 'IngressClass', {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'IngressClass',
      metadata: { name: INGRESS_CLASS_NAME, labels: { ...INGRESS_NGINX_CONTROLLER_LABELS } },
      spec: { controller: 'k8s.io/ingress-nginx' },
    });
    new IngressNginxTuning(this, 'Tuning', {
      upstreamKeepalive: props.upstreamKeepalive,
      workerProcesses,
      labels: INGRESS_NGINX_CONTROLLER_LABELS,
    });

    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: meta(NAME),
      replicas: 1,
      select: false,
      spread: false,
      podMetadata: { labels: { ...INGRESS_NGINX_CONTROLLER_LABELS } },
      serviceAccount,
      automountServiceAccountToken: true,
      terminationGracePeriod: Duration.seconds(300),
      securityContext: { ensureNonRoot: true, user: INGRESS_NGINX_UID, group: INGRESS_NGINX_GID },
    });
    this.deployment.select(kplus.LabelSelector.of({ labels: { ...INGRESS_NGINX_CONTROLLER_LABELS } }));
    const healthz = (periodSeconds: number, failureThreshold: number) =>
      kplus.Probe.fromHttpGet('/healthz', { port: 10254, periodSeconds: Duration.seconds(periodSeconds), failureThreshold });
    this.deployment.addContainer({
      name: 'controller',
      image: props.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      args: [
        '/nginx-ingress-controller',
        `--election-id=${LEADER_ELECTION_ID}`,
        '--controller-class=k8s.io/ingress-nginx',
        `--ingress-class=${INGRESS_CLASS_NAME}`,
        `--configmap=$(POD_NAMESPACE)/${NAME}`,
        `--publish-service=$(POD_NAMESPACE)/${NAME}`,
      ],
      envVariables: {
        POD_NAME: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAME),
        POD_NAMESPACE: kplus.EnvValue.fromFieldRef(kplus.EnvFieldPaths.POD_NAMESPACE),
        LD_PRELOAD: kplus.EnvValue.fromValue('/usr/local/lib/libmimalloc.so'),
      },
      ports: [
        { name: 'http', number: 80, hostPort: hostPorts ? 80 : undefined },
        { name: 'https', number: 443, hostPort: hostPorts ? 443 : undefined },
      ],
      readiness: healthz(2, 3),
      liveness: healthz(10, 5),
      startup: healthz(2, 60),
      lifecycle: { preStop: kplus.Handler.fromCommand(['/wait-shutdown']) },
    });
    this.deployment.scheduling.tolerate(
      kplus.Node.tainted(kplus.NodeTaintQuery.exists('node-role.kubernetes.io/control-plane', { effect: kplus.TaintEffect.NO_SCHEDULE })),
    );
    ApiObject.of(this.deployment).addJsonPatch(
      JsonPatch.add('/spec/template/spec/nodeSelector', { 'kubernetes.io/os': 'linux', ...props.nodeSelector }),
      JsonPatch.replace('/spec/template/spec/securityContext', {
        runAsNonRoot: true,
        runAsUser: INGRESS_NGINX_UID,
        runAsGroup: INGRESS_NGINX_GID,
        seccompProfile: { type: 'RuntimeDefault' },
      }),
      // Upstream's, and the one exception to a read-only root: the controller writes nginx.conf,
      // Lua caches and the pid file under /etc/nginx and /tmp at run time. It binds ports 80/443
      // as UID 101, hence NET_BIND_SERVICE, the one capability `restricted` allows to add.
      JsonPatch.replace('/spec/template/spec/containers/0/securityContext', {
        runAsNonRoot: true,
        runAsUser: INGRESS_NGINX_UID,
        runAsGroup: INGRESS_NGINX_GID,
        readOnlyRootFilesystem: false,
        allowPrivilegeEscalation: false,
        privileged: false,
        capabilities: { add: ['NET_BIND_SERVICE'], drop: ['ALL'] },
        seccompProfile: { type: 'RuntimeDefault' },
      }),
      JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'),
    );
    withoutServerDefaults(this.deployment);
    setContainerResources(this.deployment, props.resources);

    this.service = serviceWithoutEmptyFields(
      new kplus.Service(this, 'Service', {
        metadata: meta(NAME),
        type: (props.serviceType ?? 'NodePort') as kplus.ServiceType,
        selector: kplus.Pods.select(this, 'Pods', { labels: { ...INGRESS_NGINX_CONTROLLER_LABELS } }),
        ports: [
          { name: 'http', port: TOPOLOGY_SERVICES['ingress-nginx'].port, targetPort: 80 },
          { name: 'https', port: 443, targetPort: 443 },
        ],
      }),
    );
    // The namespace first, so `kubectl apply -f` creates it before what lives in it.
    for (const child of this.node.children) {
      if (child !== namespace) child.node.addDependency(namespace);
    }
  }
}
