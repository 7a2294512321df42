import { ApiObject, Duration, JsonPatch, Size } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { ResourceConfig } from '../config/config.js';
import { nodeSelectorProblem, type NodeSelector } from '../api/placement.js';
import {
  LABEL_HOSTNAME,
  LABEL_INSTANCE,
  LABEL_NAME,
  NONROOT_UID,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
} from '../api/objects.js';
import { parseCpuMillis, parseMemoryMiB } from '../config/quantities.js';

// Quantities in the API server's canonical form (`1`, not `1000m`; `1Gi`, not `1024Mi`), so a
// second `kubectl apply` finds nothing to change.
const cpu = (millis: number) => (millis % 1000 === 0 ? String(millis / 1000) : `${millis}m`);
const memory = (mib: number) => (mib % 1024 === 0 ? `${mib / 1024}Gi` : Number.isInteger(mib) ? `${mib}Mi` : `${mib * 1024}Ki`);

/**
 * Sets a Deployment's first container's requests and limits from the configuration's quantities,
 * replacing what cdk8s-plus wrote (it renders memory in Mi only, and its defaults are 1-1.5 CPU).
 */
export function setContainerResources(deployment: kplus.Deployment, resources: ResourceConfig): void {
  // KubeDeployment serializes after patches are applied and reads each quantity's `.value`.
  const quantity = (value: string) => ({ value });
  ApiObject.of(deployment).addJsonPatch(
    JsonPatch.replace('/spec/template/spec/containers/0/resources', {
      requests: {
        cpu: quantity(cpu(parseCpuMillis('cpuRequest', resources.cpuRequest))),
        memory: quantity(memory(parseMemoryMiB('memoryRequest', resources.memoryRequest))),
      },
      limits: {
        cpu: quantity(cpu(parseCpuMillis('cpu', resources.cpu))),
        memory: quantity(memory(parseMemoryMiB('memory', resources.memory))),
      },
    }),
  );
}

/**
 * Fields cdk8s-plus writes with the value the API server omits (`minReadySeconds: 0`,
 * `hostNetwork: false`): removed, so re-applying reports `unchanged`.
 */
export function withoutServerDefaults(deployment: kplus.Deployment): void {
  ApiObject.of(deployment).addJsonPatch(JsonPatch.remove('/spec/minReadySeconds'), JsonPatch.remove('/spec/template/spec/hostNetwork'));
}

/** A Service as the API server stores it: without cdk8s-plus's empty `externalIPs`. */
export function serviceWithoutEmptyFields(service: kplus.Service): kplus.Service {
  ApiObject.of(service).addJsonPatch(JsonPatch.remove('/spec/externalIPs'));
  return service;
}

/** A container port the Deployment exposes. */
export interface NamedPort {
  readonly name: string;
  readonly number: number;
}

/** An HTTP path kubelet polls, on one of the container's ports. */
export interface HttpProbe {
  readonly path: string;
  readonly port: number;
}

export interface RestrictedDeploymentProps {
  /** Name of the Deployment; also its pods' `app.kubernetes.io/instance` label. */
  readonly name: string;
  /** What the pods run (`app.kubernetes.io/name`), e.g. `hello`. */
  readonly component: string;
  /** Pinned image reference (tag or digest, never `latest`). */
  readonly image: string;
  /** CPU and memory; requests and limits are both set. */
  readonly resources: ResourceConfig;
  /** Ports, by name. */
  readonly ports: readonly NamedPort[];
  /** Readiness probe: traffic only reaches a pod that answers it. */
  readonly readiness: HttpProbe;
  /** Liveness probe. @default the readiness probe */
  readonly liveness?: HttpProbe;
  /** @default 1 */
  readonly replicas?: number;
  /** Replaces the image's entrypoint. @default the image's */
  readonly command?: readonly string[];
  /** @default none */
  readonly args?: readonly string[];
  /** Plain environment variables. @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** Environment variables taken from the pod's own fields (e.g. POD_NAME). @default none */
  readonly fieldEnv?: Readonly<Record<string, kplus.EnvFieldPaths>>;
  /** Folders the program writes to: each gets an emptyDir, the root filesystem stays read-only. @default none */
  readonly writablePaths?: readonly string[];
  /** ConfigMaps mounted read-only at a folder. @default none */
  readonly configMapMounts?: readonly { readonly configMap: kplus.IConfigMap; readonly path: string }[];
  /**
   * The identity the pods call the API server with. Only then is a token mounted.
   * @default none: the namespace's default account, with no token mounted
   */
  readonly serviceAccount?: kplus.IServiceAccount;
  /** @default 65532 */
  readonly user?: number;
  /** @default 30s */
  readonly terminationGracePeriod?: Duration;
  /** Pod annotations, e.g. a config checksum that rolls the pods when their ConfigMap changes. @default none */
  readonly podAnnotations?: Readonly<Record<string, string>>;
  /**
   * Spread the replicas over nodes (a topology spread constraint by hostname, at most one more on
   * any node than on another), preferred, not required: on one node they all still start.
   * @default false
   */
  readonly spreadOverNodes?: boolean;
  /** Node labels the pods need, as `spec.nodeSelector` (a spread then counts only those nodes). @default any node */
  readonly nodeSelector?: NodeSelector;
}

/**
 * A Deployment whose pods pass the `restricted` Pod Security Standard and nothing more is
 * allowed: non-root numeric user, read-only root filesystem, every capability dropped, seccomp
 * RuntimeDefault, no privilege escalation, no token unless it calls the API, `IfNotPresent`
 * pulls (so `kind load` copies are used) and requests and limits set deliberately, since
 * cdk8s-plus defaults (1-1.5 CPU, pull Always, no seccomp) do not fit a 2-CPU node.
 */
export class RestrictedDeployment extends Construct {
  /** Labels that select this Deployment's pods (and nothing else). */
  public readonly selectorLabels: Readonly<Record<string, string>>;
  public readonly deployment: kplus.Deployment;
  /** The pods, as a NetworkPolicy peer or Service selector. */
  public readonly pods: kplus.Pods;

  constructor(scope: Construct, id: string, props: RestrictedDeploymentProps) {
    super(scope, id);
    const replicas = props.replicas ?? 1;
    const user = props.user ?? NONROOT_UID;
    const liveness = props.liveness ?? props.readiness;
    if (!Number.isInteger(replicas) || replicas < 1)
      throw new Error(`RestrictedDeployment ${props.name}: replicas ${replicas} must be a whole number >= 1`);
    if (/:latest$|^[^:@]*$/.test(props.image))
      throw new Error(`RestrictedDeployment ${props.name}: image "${props.image}" must carry a tag other than latest, or a digest`);
    if (!Number.isInteger(user) || user <= 0)
      throw new Error(`RestrictedDeployment ${props.name}: user ${user} must be a non-root numeric UID`);
    const selectorProblem = nodeSelectorProblem(props.nodeSelector ?? {}, 'nodeSelector');
    if (selectorProblem) throw new Error(`RestrictedDeployment ${props.name}: ${selectorProblem.field}: ${selectorProblem.message}`);
    for (const probe of [props.readiness, liveness]) {
      if (!props.ports.some((p) => p.number === probe.port))
        throw new Error(`RestrictedDeployment ${props.name}: probe port ${probe.port} is not one of its ports`);
    }

    this.selectorLabels = { [LABEL_NAME]: props.component, [LABEL_INSTANCE]: props.name };
    this.deployment = new kplus.Deployment(this, 'Deployment', {
      metadata: { name: props.name, labels: this.selectorLabels },
      replicas,
      select: false,
      spread: false,
      podMetadata: { labels: this.selectorLabels, annotations: { ...props.podAnnotations } },
      serviceAccount: props.serviceAccount,
      automountServiceAccountToken: props.serviceAccount !== undefined,
      terminationGracePeriod: props.terminationGracePeriod ?? Duration.seconds(30),
      securityContext: { ensureNonRoot: true, user, group: user },
    });
    this.deployment.select(kplus.LabelSelector.of({ labels: this.selectorLabels }));
    this.pods = kplus.Pods.select(this, 'Pods', { labels: this.selectorLabels });

    const container = this.deployment.addContainer({
      name: props.component,
      image: props.image,
      imagePullPolicy: kplus.ImagePullPolicy.IF_NOT_PRESENT,
      command: props.command ? [...props.command] : undefined,
      args: props.args ? [...props.args] : undefined,
      ports: props.ports.map((p) => ({ name: p.name, number: p.number })),
      envVariables: {
        ...Object.fromEntries(Object.entries(props.env ?? {}).map(([k, v]) => [k, kplus.EnvValue.fromValue(v)])),
        ...Object.fromEntries(Object.entries(props.fieldEnv ?? {}).map(([k, v]) => [k, kplus.EnvValue.fromFieldRef(v)])),
      },
      readiness: kplus.Probe.fromHttpGet(props.readiness.path, {
        port: props.readiness.port,
        periodSeconds: Duration.seconds(2),
        failureThreshold: 2,
      }),
      liveness: kplus.Probe.fromHttpGet(liveness.path, { port: liveness.port, periodSeconds: Duration.seconds(10), failureThreshold: 3 }),
      // Startup: allow slow first starts on a loaded node before liveness may restart the pod.
      startup: kplus.Probe.fromHttpGet(liveness.path, { port: liveness.port, periodSeconds: Duration.seconds(1), failureThreshold: 60 }),
    });
    for (const [i, path] of (props.writablePaths ?? []).entries()) {
      container.mount(path, kplus.Volume.fromEmptyDir(this, `Writable${i}`, `writable-${i}`, { sizeLimit: Size.mebibytes(64) }));
    }
    for (const [i, m] of (props.configMapMounts ?? []).entries()) {
      container.mount(m.path, kplus.Volume.fromConfigMap(this, `Config${i}`, m.configMap, { name: `config-${i}` }), { readOnly: true });
    }

    // cdk8s-plus-27 cannot express these (its Capability enum has no ALL and prefixes CAP_,
    // it has no seccompProfile), so the security contexts are written whole.
    const api = ApiObject.of(this.deployment);
    api.addJsonPatch(
      JsonPatch.replace('/spec/template/spec/securityContext', restrictedPodSecurityContext(user)),
      JsonPatch.replace('/spec/template/spec/containers/0/securityContext', restrictedContainerSecurityContext(user)),
      // Pods carry only the labels above, not cdk8s-plus's hashed address label.
      JsonPatch.remove('/spec/template/metadata/labels/cdk8s.io~1metadata.addr'),
    );
    if (props.spreadOverNodes) {
      api.addJsonPatch(
        JsonPatch.add('/spec/template/spec/topologySpreadConstraints', [
          {
            maxSkew: 1,
            topologyKey: LABEL_HOSTNAME,
            whenUnsatisfiable: 'ScheduleAnyway',
            labelSelector: { matchLabels: { ...this.selectorLabels } },
          },
        ]),
      );
    }
    if (props.nodeSelector && Object.keys(props.nodeSelector).length > 0) {
      api.addJsonPatch(JsonPatch.add('/spec/template/spec/nodeSelector', { ...props.nodeSelector }));
    }
    withoutServerDefaults(this.deployment);
    setContainerResources(this.deployment, props.resources);
  }

  /** A Service in front of these pods, selecting them by their labels. */
  public addService(
    id: string,
    props: { readonly name: string; readonly ports: readonly NamedPort[]; readonly headless?: boolean },
  ): kplus.Service {
    return serviceWithoutEmptyFields(
      new kplus.Service(this, id, {
        metadata: { name: props.name, labels: this.selectorLabels },
        selector: this.pods,
        clusterIP: props.headless ? 'None' : undefined,
        ports: props.ports.map((p) => ({ name: p.name, port: p.number, targetPort: p.number })),
      }),
    );
  }
}
