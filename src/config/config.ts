import { parseDurationMs, parseEnum, parseInteger } from '../../loadtest/parse.js';
import { UsageError } from '../../loadtest/usage-error.js';
import { INGRESS_NGINX_NAMESPACE, NAMESPACE } from '../api/objects.js';
import { parseNodeSelector, type NodeSelector } from '../api/placement.js';
import { parseCpuMillis, parseMemoryMiB } from './quantities.js';

/** Where the manifests go: kind and minikube get their own ingress and image loading. */
export const CLUSTERS = ['kind', 'minikube', 'generic'] as const;
export type Cluster = (typeof CLUSTERS)[number];

/** Balancing policies of the RPC gateway (`--balancer`). */
export const GATEWAY_BALANCERS = ['p2c', 'round-robin'] as const;
export type GatewayBalancer = (typeof GATEWAY_BALANCERS)[number];

export const SERVICE_TYPES = ['ClusterIP', 'NodePort', 'LoadBalancer'] as const;
export type ServiceTypeName = (typeof SERVICE_TYPES)[number];

/** CPU and memory of one container, as Kubernetes quantities. */
export interface ResourceConfig {
  /** CPU limit: what the benchmark is about (a CPU-limited pod is what "clustering" can help). */
  readonly cpu: string;
  readonly cpuRequest: string;
  readonly memory: string;
  readonly memoryRequest: string;
}

export interface ClusterbenchConfig {
  readonly cluster: Cluster;
  /** The namespace of every clusterbench object but ingress-nginx's (created by the manifests). */
  readonly namespace: string;
  readonly images: {
    /** Repository prefix of the three clusterbench images: `<registry>/hello:<tag>`. */
    readonly registry: string;
    /** One tag for the three images; the default is a hash of their build inputs. */
    readonly tag: string;
  };
  readonly hello: ResourceConfig & {
    /** Replicas of the balanced `hello` Deployment (`hello-single` always has one). */
    readonly replicas: number;
    /** CPU work per request (`--work`), e.g. `200us`; empty for none. */
    readonly work: string;
    /** Simulated I/O wait per request (`--delay`); empty for none. */
    readonly delay: string;
    /** Response body size in bytes (`--payload`); 0 for the seed's `Hello, World!`. */
    readonly payload: number;
  };
  readonly nginx: ResourceConfig & {
    /** An unprivileged nginx, 1.27.3 or newer (upstream `resolve`). */
    readonly image: string;
    readonly upstreamKeepalive: number;
    /** DNS server nginx re-resolves the headless Service with. */
    readonly resolver: string;
    /** Re-resolve the hello pods while running (`server ... resolve`, nginx 1.27.3 or newer); false: a sidecar reloads nginx when they change. */
    readonly resolveUpstreams: boolean;
  };
  readonly rpcGateway: ResourceConfig & { readonly balancer: GatewayBalancer };
  readonly ingressNginx: ResourceConfig & {
    /** Synthesize dist/*-ingress-nginx.k8s.yaml: the controller, or on minikube (its addon runs it) the tuning ConfigMap only. */
    readonly enabled: boolean;
    readonly image: string;
    readonly upstreamKeepalive: number;
    readonly serviceType: ServiceTypeName;
  };
  readonly controller: ResourceConfig;
  /**
   * Where every server under test runs: hello, nginx, rpc-gateway and the ingress-nginx controller.
   * One selector, not one per part: the topologies are compared with each other, which is fair
   * only when their servers share one pool of nodes; what a user wants to separate is the servers
   * from the load runners (`spec.placement.runners` of a Benchmark).
   */
  readonly servers: {
    /** Node labels as `key=value,key=value` (`servers.nodeSelector`); empty: any node. */
    readonly nodeSelector: string;
  };
}

/** `servers.nodeSelector` as a pod's nodeSelector (empty: any node). */
export function serversNodeSelector(config: ClusterbenchConfig): NodeSelector {
  return parseNodeSelector('servers.nodeSelector', config.servers.nodeSelector);
}

/** ingress-nginx is retired upstream (March 2026); v1.15.1 is its last controller release. */
export const INGRESS_NGINX_VERSION = 'v1.15.1';
const INGRESS_NGINX_IMAGE =
  `registry.k8s.io/ingress-nginx/controller:${INGRESS_NGINX_VERSION}` +
  '@sha256:594ceea76b01c592858f803f9ff4d2cb40542cae2060410b2c95f75907d659e1';

/**
 * Defaults fit one 2-CPU kind node: kube-system requests about 950m, so clusterbench requests
 * 750m in all and leaves room for load runners. Limits are what the comparison is about.
 */
export function defaultConfig(cluster: Cluster = 'kind'): ClusterbenchConfig {
  return {
    cluster,
    namespace: NAMESPACE,
    images: { registry: 'clusterbench', tag: '' },
    hello: { replicas: 3, cpu: '500m', cpuRequest: '100m', memory: '128Mi', memoryRequest: '64Mi', work: '', delay: '', payload: 0 },
    nginx: {
      image: 'docker.io/nginxinc/nginx-unprivileged:1.28.0-alpine',
      cpu: '1',
      cpuRequest: '100m',
      memory: '128Mi',
      memoryRequest: '64Mi',
      upstreamKeepalive: 128,
      resolver: 'kube-dns.kube-system.svc.cluster.local',
      resolveUpstreams: true,
    },
    rpcGateway: { cpu: '1', cpuRequest: '100m', memory: '128Mi', memoryRequest: '64Mi', balancer: 'p2c' },
    ingressNginx: {
      enabled: true,
      image: INGRESS_NGINX_IMAGE,
      cpu: '1',
      cpuRequest: '100m',
      memory: '256Mi',
      memoryRequest: '128Mi',
      upstreamKeepalive: 320,
      serviceType: 'NodePort',
    },
    controller: { cpu: '500m', cpuRequest: '50m', memory: '256Mi', memoryRequest: '128Mi' },
    servers: { nodeSelector: '' },
  };
}

type Value = string | number | boolean;
type Parser = (key: string, value: string) => Value;

const whole =
  (min: number, max: number): Parser =>
  (key, value) =>
    parseInteger(key, value, min, max);
const oneOf =
  (allowed: readonly string[]): Parser =>
  (key, value) =>
    parseEnum(key, value, allowed);
const cpu: Parser = (key, value) => (parseCpuMillis(key, value), value);
const memory: Parser = (key, value) => (parseMemoryMiB(key, value), value);
const duration: Parser = (key, value) => (value === '' ? '' : (parseDurationMs(key, value, { allowZero: true }), value));
const bool: Parser = (key, value) => parseEnum(key, value, ['true', 'false']) === 'true';
const pattern =
  (re: RegExp, what: string): Parser =>
  (key, value) => {
    if (!re.test(value)) throw new UsageError(`${key}: "${value}" is not ${what}`);
    return value;
  };

// Docker reference grammar, simplified: lowercase path components, optional host:port.
const repositoryRe = /^[a-z0-9]+([._-][a-z0-9]+)*(\.[a-z0-9-]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/;
const imageRe = /^[a-z0-9][a-z0-9._\-/:]*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
const tag: Parser = (key, value) => {
  if (value === 'latest' || !/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(value)) {
    throw new UsageError(`${key}: "${value}" is not an image tag (letters, digits, _ . -; never "latest", which defeats IfNotPresent)`);
  }
  return value;
};
const image: Parser = (key, value) => {
  if (!imageRe.test(value) || /:latest$/.test(value) || !/[:@]/.test(value.split('/').pop() ?? '')) {
    throw new UsageError(`${key}: "${value}" is not a pinned image reference (name:tag or name@sha256:..., never latest)`);
  }
  return value;
};

// A DNS-1123 label; not ingress-nginx's namespace nor the kube- ones (those are the cluster's).
const namespace: Parser = (key, value) => {
  if (!/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(value))
    throw new UsageError(`${key}: "${value}" is not a namespace name (lowercase letters, digits and -, at most 63)`);
  if (value === INGRESS_NGINX_NAMESPACE || value.startsWith('kube-') || value === 'default') {
    throw new UsageError(
      `${key}: "${value}" is not allowed (it belongs to the cluster or to ingress-nginx; choose a namespace of clusterbench's own, e.g. clusterbench)`,
    );
  }
  return value;
};

const resourceFields = (prefix: string): Record<string, Parser> => ({
  [`${prefix}.cpu`]: cpu,
  [`${prefix}.cpuRequest`]: cpu,
  [`${prefix}.memory`]: memory,
  [`${prefix}.memoryRequest`]: memory,
});

/** Every key `--set` and `--config` accept, with its parser. */
const FIELDS: Readonly<Record<string, Parser>> = {
  cluster: oneOf(CLUSTERS),
  namespace,
  'images.registry': pattern(repositoryRe, 'an image repository prefix (e.g. clusterbench or localhost:5000/clusterbench)'),
  'images.tag': tag,
  'hello.replicas': whole(1, 16),
  ...resourceFields('hello'),
  'hello.work': duration,
  'hello.delay': duration,
  'hello.payload': whole(0, 1 << 20),
  'nginx.image': image,
  ...resourceFields('nginx'),
  'nginx.upstreamKeepalive': whole(1, 10_000),
  'nginx.resolver': pattern(/^[A-Za-z0-9.\-:[\]]+$/, 'a DNS server name or address'),
  'nginx.resolveUpstreams': bool,
  ...resourceFields('rpcGateway'),
  'rpcGateway.balancer': oneOf(GATEWAY_BALANCERS),
  'ingressNginx.enabled': bool,
  'ingressNginx.image': image,
  ...resourceFields('ingressNginx'),
  'ingressNginx.upstreamKeepalive': whole(1, 10_000),
  'ingressNginx.serviceType': oneOf(SERVICE_TYPES),
  ...resourceFields('controller'),
  'servers.nodeSelector': (key, value) => (parseNodeSelector(key, value), value),
};

export const CONFIG_KEYS: readonly string[] = Object.keys(FIELDS);

/** Parses one `key=value` of `--set`; the value is validated like every other input. */
export function parseSetting(setting: string): [string, Value] {
  const eq = setting.indexOf('=');
  if (eq <= 0) throw new UsageError(`--set: "${setting}" is not key=value (keys: ${CONFIG_KEYS.join(', ')})`);
  return parseField(setting.slice(0, eq).trim(), setting.slice(eq + 1).trim());
}

function parseField(key: string, value: string): [string, Value] {
  const parser = FIELDS[key];
  if (!parser) throw new UsageError(`${key}: unknown setting (keys: ${CONFIG_KEYS.join(', ')})`);
  return [key, parser(key, value)];
}

/** Flattens a parsed config file ({ hello: { cpu: 1 } }) into dotted keys with string values. */
function flatten(source: unknown, file: string, prefix = ''): [string, string][] {
  if (source === null || typeof source !== 'object' || Array.isArray(source)) {
    throw new UsageError(`${file}: ${prefix || 'top level'} must be a mapping of settings`);
  }
  return Object.entries(source as Record<string, unknown>).flatMap(([k, v]): [string, string][] => {
    const key = prefix ? `${prefix}.${k}` : k;
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) return flatten(v, file, key);
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') return [[key, String(v)]];
    throw new UsageError(`${key}: value in ${file} must be a string, number or boolean`);
  });
}

/**
 * Builds the configuration: defaults for the chosen cluster, then the file's settings, then
 * `--set` ones (last wins). Throws UsageError, naming the key, on anything invalid.
 */
export function resolveConfig(fileSettings: unknown, sets: readonly string[], file = 'config file'): ClusterbenchConfig {
  const settings = new Map<string, Value>([
    ...(fileSettings === undefined || fileSettings === null ? [] : flatten(fileSettings, file)).map(([k, v]) => parseField(k, v)),
    ...sets.map(parseSetting),
  ]);
  const config = defaultConfig((settings.get('cluster') as Cluster | undefined) ?? 'kind') as unknown as Record<
    string,
    Record<string, Value>
  >;
  for (const [key, value] of settings) {
    const [section, field] = key.split('.');
    if (field === undefined) (config as unknown as Record<string, Value>)[section] = value;
    else config[section][field] = value;
  }
  const resolved = config as unknown as ClusterbenchConfig;
  for (const section of ['hello', 'nginx', 'rpcGateway', 'ingressNginx', 'controller'] as const) {
    checkRequestWithinLimit(section, resolved[section]);
  }
  return resolved;
}

function checkRequestWithinLimit(section: string, r: ResourceConfig): void {
  if (parseCpuMillis(`${section}.cpuRequest`, r.cpuRequest) > parseCpuMillis(`${section}.cpu`, r.cpu)) {
    throw new UsageError(
      `${section}.cpuRequest: "${r.cpuRequest}" exceeds ${section}.cpu "${r.cpu}" (a request must not exceed its limit)`,
    );
  }
  if (parseMemoryMiB(`${section}.memoryRequest`, r.memoryRequest) > parseMemoryMiB(`${section}.memory`, r.memory)) {
    throw new UsageError(
      `${section}.memoryRequest: "${r.memoryRequest}" exceeds ${section}.memory "${r.memory}" (a request must not exceed its limit)`,
    );
  }
}
