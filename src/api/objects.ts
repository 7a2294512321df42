/**
 * The contract between the charts (what is deployed) and the controller and bench (what they
 * reach): namespace, Service names and ports, labels, the pods' user and security contexts.
 * Data only, no cdk8s: charts/, src/constructs, src/controller, src/bench and deploy/deploy.sh
 * (through `clusterbench synth --print-namespace`) read it, so renaming a Service here renames
 * it everywhere, and test/manifests/objects.test.ts checks every address against the charts.
 */
import type { Topology } from '../topologies.js';

/**
 * The namespace clusterbench's workloads live in by default (DESIGN.md, "Kubernetes objects");
 * `synth --set namespace=...` chooses another, which the controller (its pod's namespace), `bench
 * --namespace` (`make bench`) and deploy.sh (`synth --print-namespace`) follow.
 */
export const NAMESPACE = 'clusterbench';
/** The namespace of the ingress-nginx controller clusterbench deploys (or a cluster's addon). */
export const INGRESS_NGINX_NAMESPACE = 'ingress-nginx';

/** A Service: its name, the namespace when it is not clusterbench's, and the port clients dial. */
export interface ServiceAddress {
  readonly name: string;
  /** @default NAMESPACE */
  readonly namespace?: string;
  readonly port: number;
}

/** The Service each topology answers on. */
export const TOPOLOGY_SERVICES: Readonly<Record<Topology, ServiceAddress>> = {
  single: { name: 'hello-single', port: 8080 },
  nginx: { name: 'nginx', port: 8080 },
  'rpc-gateway': { name: 'rpc-gateway', port: 8080 },
  'ingress-nginx': { name: 'ingress-nginx-controller', namespace: INGRESS_NGINX_NAMESPACE, port: 80 },
};

/** The three-replica hello servers every balancer fronts (Deployment and Service name). */
export const HELLO_BALANCED = 'hello';
/** Headless Service publishing each ready hello pod: the gateway and nginx balance over its records. */
export const HELLO_HEADLESS = 'hello-headless';
/** The hello server's ports (images/hello: `--http :8080 --rpc :9090`). */
export const HELLO_HTTP_PORT = 8080;
export const HELLO_RPC_PORT = 9090;
/** The controller's Deployment, Service, account and Role; its port serves health and the runners' WebSocket. */
export const CONTROLLER: ServiceAddress = { name: 'clusterbench-controller', port: 8080 };

/** The controller's ClusterRole and ClusterRoleBinding (nodes get, for the report), one per namespace it is installed in. */
export function controllerNodeReaderName(namespace: string): string {
  return `${CONTROLLER.name}-nodes-${namespace}`;
}

/** Where a topology answers inside the cluster, for the load runners of `namespace`. */
export function topologyUrl(topology: Topology, namespace: string): string {
  const service = TOPOLOGY_SERVICES[topology];
  return `http://${service.name}.${service.namespace ?? namespace}.svc:${service.port}/`;
}

/** The controller's WebSocket address for the runners of `namespace`, e.g. `path` /runners. */
export function controllerUrl(namespace: string, port: number, path: string): string {
  return `ws://${CONTROLLER.name}.${namespace}.svc:${port}${path}`;
}

/** `name:port` of the headless hello Service in `namespace`, for nginx's and the gateway's DNS lookups. */
export function helloHeadlessDns(namespace: string, port: number): string {
  return `${HELLO_HEADLESS}.${namespace}.svc.cluster.local:${port}`;
}

/** The report a finished Benchmark leaves: `<benchmark>-report` with `report.md` and `report.json`. */
export function reportConfigMapName(benchmark: string): string {
  return `${benchmark}-report`;
}

/** What the pods of a workload run, e.g. `hello`. */
export const LABEL_NAME = 'app.kubernetes.io/name';
/** Which Deployment a pod belongs to, e.g. `hello` or `hello-single`; other objects: their own name. */
export const LABEL_INSTANCE = 'app.kubernetes.io/instance';
/** The image tag the objects were synthesized for (ingress-nginx: its upstream version). */
export const LABEL_VERSION = 'app.kubernetes.io/version';
/** The part's role, e.g. `server`, `load-balancer`. */
export const LABEL_COMPONENT = 'app.kubernetes.io/component';
export const LABEL_PART_OF = 'app.kubernetes.io/part-of';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
/** `managed-by` of the objects the controller creates (Jobs, their pods, run records). */
export const MANAGED_BY = 'clusterbench-controller';
/** `managed-by` of every synthesized object: cdk8s writes them (kubebuilder's say kustomize). */
export const SYNTHESIZED_BY = 'cdk8s';
/** `part-of` of every clusterbench object; ingress-nginx's keep upstream's `ingress-nginx`. */
export const PART_OF = 'clusterbench';

/** The recommended labels that say what a deployed part is (the rest: instance, version, part-of, managed-by). */
export interface PartLabels {
  /** `app.kubernetes.io/name` of objects that do not set their own. */
  readonly name: string;
  /** `app.kubernetes.io/component`. */
  readonly component: string;
  /** `app.kubernetes.io/part-of`. @default PART_OF */
  readonly partOf?: string;
  /** `app.kubernetes.io/instance` of every object. @default each object's own name */
  readonly instance?: string;
}

/** Each synthesized unit (one file of dist/ each), with the recommended labels of its objects. */
export const PARTS = {
  namespace: { name: 'clusterbench', component: 'namespace' },
  crd: { name: 'clusterbench', component: 'api' },
  hello: { name: 'hello', component: 'server' },
  nginx: { name: 'nginx', component: 'load-balancer' },
  rpcGateway: { name: 'rpc-gateway', component: 'gateway' },
  controller: { name: CONTROLLER.name, component: 'controller' },
  ingress: { name: 'hello', component: 'ingress' },
  // As upstream's manifests label them.
  ingressNginx: { name: 'ingress-nginx', component: 'controller', partOf: 'ingress-nginx', instance: 'ingress-nginx' },
} as const satisfies Record<string, PartLabels>;
export const LABEL_BENCHMARK = 'clusterbench.dev/benchmark';
/** The UID of the Benchmark an object belongs to: what the controller selects by (a name can be reused). */
export const LABEL_BENCHMARK_UID = 'clusterbench.dev/benchmark-uid';
export const LABEL_TOPOLOGY = 'clusterbench.dev/topology';
export const LABEL_TRIAL = 'clusterbench.dev/trial';
export const LABEL_ATTEMPT = 'clusterbench.dev/attempt';
/** On each runner Job: the SHA-256 (hex) of the token its runners must present to the controller. */
export const ANNOTATION_RUNNER_TOKEN_SHA256 = 'clusterbench.dev/runner-token-sha256';
/** The well-known node label naming each node: what runner pods spread over. */
export const LABEL_HOSTNAME = 'kubernetes.io/hostname';
/** Set by the Job controller on each pod of an Indexed Job. */
export const ANNOTATION_COMPLETION_INDEX = 'batch.kubernetes.io/job-completion-index';

/** Labels of the load runner pods the controller starts: the hello NetworkPolicy lets them in. */
export const LOAD_RUNNER_LABELS: Readonly<Record<string, string>> = { [LABEL_NAME]: 'clusterbench-runner' };
/** Selects everything the controller created (Jobs and their pods). */
export const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${MANAGED_BY}`;
/** The hello pods behind the balanced topologies, one of which failover deletes. */
export const HELLO_POD_SELECTOR = `${LABEL_INSTANCE}=${HELLO_BALANCED}`;

/** The user every clusterbench image runs as (distroless `nonroot`). */
export const NONROOT_UID = 65532;

/** Pod-level security context of the `restricted` Pod Security Standard, for a numeric non-root user. */
export function restrictedPodSecurityContext(user: number) {
  return { runAsNonRoot: true, runAsUser: user, runAsGroup: user, seccompProfile: { type: 'RuntimeDefault' } };
}

/** Container security context of the `restricted` Pod Security Standard and a read-only root. */
export function restrictedContainerSecurityContext(user: number) {
  return {
    ...restrictedPodSecurityContext(user),
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
  };
}
