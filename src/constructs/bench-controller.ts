import { ApiObject, Chart, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import type { PolicyRule } from '../api/benchmark.js';
import type { ResourceConfig } from '../config/config.js';
import { CONTROLLER, controllerNodeReaderName } from '../api/objects.js';
import { RestrictedDeployment, type NamedPort } from './restricted-deployment.js';

/** The controller's HTTP port: health and the load runners' WebSocket. */
export const CONTROLLER_HTTP: NamedPort = { name: 'http', number: CONTROLLER.port };

export interface BenchControllerProps {
  /** The bench image (images/bench); load runner Jobs use it too. */
  readonly image: string;
  readonly resources: ResourceConfig;
  /** Exactly what the controller calls (src/api/benchmark.ts), granted in its namespace only. */
  readonly rules: readonly PolicyRule[];
  /**
   * Cluster-wide calls (src/api/benchmark.ts `controllerNodeRbacRules`: nodes get), granted by a
   * ClusterRole named for the namespace, so two installs do not share one. @default none
   */
  readonly clusterRules?: readonly PolicyRule[];
  /** Labels of the load runner pods: the only pods the controller's port admits. */
  readonly runnerLabels: Readonly<Record<string, string>>;
  /** @default 'clusterbench-controller' */
  readonly name?: string;
}

/**
 * The Benchmark controller: a ServiceAccount with a namespaced Role of only the calls it makes,
 * the Deployment (the only clusterbench pod with an API token), the Service the load runners
 * connect back to, and a NetworkPolicy that admits only the load runners of its namespace to its
 * port (defence in depth: the controller authenticates each runner itself; kubelet probes come
 * from the node, which NetworkPolicies always admit).
 */
export class BenchController extends Construct {
  public readonly serviceAccount: kplus.ServiceAccount;
  public readonly role: kplus.Role;
  public readonly workload: RestrictedDeployment;
  public readonly service: kplus.Service;
  public readonly networkPolicy: kplus.NetworkPolicy;

  constructor(scope: Construct, id: string, props: BenchControllerProps) {
    super(scope, id);
    const name = props.name ?? CONTROLLER.name;
    for (const rule of props.rules) {
      if ([...rule.verbs, ...rule.resources, ...rule.apiGroups].includes('*'))
        throw new Error(`BenchController: rule ${JSON.stringify(rule)} has a wildcard`);
      // It may create a runner token Secret, never read one.
      if (rule.resources.includes('secrets') && rule.verbs.some((v) => v !== 'create'))
        throw new Error(`BenchController: rule ${JSON.stringify(rule)}: the controller must not read secrets`);
    }
    // Tokens are mounted per pod (the controller's only), not for everything using this account.
    this.serviceAccount = new kplus.ServiceAccount(this, 'ServiceAccount', { metadata: { name }, automountToken: false });
    this.role = new kplus.Role(this, 'Role', {
      metadata: { name },
      rules: props.rules.map((rule) => ({
        verbs: [...rule.verbs],
        resources: rule.apiGroups.flatMap((apiGroup) =>
          rule.resources.map((resourceType) => kplus.ApiResource.custom({ apiGroup, resourceType })),
        ),
      })),
    });
    const binding = new kplus.RoleBinding(this, 'RoleBinding', { metadata: { name }, role: this.role });
    binding.addSubjects(this.serviceAccount);
    // The API server drops a ServiceAccount subject's empty apiGroup; so does this, for a quiet re-apply.
    ApiObject.of(binding).addJsonPatch(JsonPatch.remove('/subjects/0/apiGroup'));

    if (props.clusterRules && props.clusterRules.length > 0) this.grantClusterRules(name, props.clusterRules);

    this.workload = new RestrictedDeployment(this, 'Controller', {
      name,
      component: 'clusterbench-controller',
      image: props.image,
      resources: props.resources,
      command: ['node', 'build/src/cli.js', 'controller'],
      env: { CLUSTERBENCH_IMAGE: props.image },
      fieldEnv: { CLUSTERBENCH_NAMESPACE: kplus.EnvFieldPaths.POD_NAMESPACE, POD_NAME: kplus.EnvFieldPaths.POD_NAME },
      serviceAccount: this.serviceAccount,
      ports: [CONTROLLER_HTTP],
      readiness: { path: '/readyz', port: CONTROLLER_HTTP.number },
      liveness: { path: '/healthz', port: CONTROLLER_HTTP.number },
      // Node's compile cache and npm's home; everything else is read-only.
      writablePaths: ['/tmp'],
    });
    // Never two controllers, not even for a rolling update's surge (the Lease guards the rest).
    ApiObject.of(this.workload.deployment).addJsonPatch(JsonPatch.add('/spec/strategy', { type: 'Recreate' }));
    this.service = this.workload.addService('Service', { name, ports: [CONTROLLER_HTTP] });
    this.networkPolicy = new kplus.NetworkPolicy(this, 'NetworkPolicy', {
      metadata: { name },
      selector: this.workload.pods,
    });
    this.networkPolicy.addIngressRule(kplus.Pods.select(this, 'Runners', { labels: { ...props.runnerLabels } }), [
      kplus.NetworkPolicyPort.tcp(CONTROLLER_HTTP.number),
    ]);
  }

  /** A ClusterRole of `rules` bound to the controller's account; cluster-scoped, so without the chart's namespace. */
  private grantClusterRules(account: string, rules: readonly PolicyRule[]): void {
    for (const rule of rules) {
      // Only reads of cluster-scoped objects belong here; everything else stays in the namespaced Role.
      if (rule.verbs.some((v) => v !== 'get' && v !== 'list' && v !== 'watch'))
        throw new Error(`BenchController: cluster rule ${JSON.stringify(rule)} must only read`);
    }
    const namespace = Chart.of(this).namespace ?? '';
    const name = controllerNodeReaderName(namespace);
    const role = new ApiObject(this, 'ClusterRole', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name },
      rules: rules.map((r) => ({ apiGroups: [...r.apiGroups], resources: [...r.resources], verbs: [...r.verbs] })),
    });
    const binding = new ApiObject(this, 'ClusterRoleBinding', {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name },
      subjects: [{ kind: 'ServiceAccount', name: account, namespace }],
    });
    for (const object of [role, binding]) object.addJsonPatch(JsonPatch.remove('/metadata/namespace'));
  }
}
