import { ApiObject, JsonPatch } from 'cdk8s';
import * as kplus from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { BENCHMARK_GROUP, BENCHMARK_PLURAL } from '../api/benchmark.js';

/** What each built-in role may do with Benchmarks: edit (and admin) write them, view reads them. */
export const BENCHMARK_USER_VERBS = {
  edit: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  view: ['get', 'list', 'watch'],
} as const;

export interface BenchmarkUserRolesProps {
  /** Name prefix of the two ClusterRoles. @default 'clusterbench-benchmark' */
  readonly namePrefix?: string;
}

/**
 * Two ClusterRoles the cluster's own roles aggregate (RBAC aggregation, as kubebuilder's editor
 * and viewer roles): whoever holds `admin` or `edit` in a namespace may create, change and delete
 * Benchmarks there, whoever holds `view` may read them and their status. Nothing is bound here:
 * the cluster's RoleBindings of those roles grant it.
 */
export class BenchmarkUserRoles extends Construct {
  public readonly editor: kplus.ClusterRole;
  public readonly viewer: kplus.ClusterRole;

  constructor(scope: Construct, id: string, props: BenchmarkUserRolesProps = {}) {
    super(scope, id);
    const prefix = props.namePrefix ?? 'clusterbench-benchmark';
    const resources = (...types: string[]) =>
      types.map((resourceType) => kplus.ApiResource.custom({ apiGroup: BENCHMARK_GROUP, resourceType }));
    const aggregateTo = (...builtIn: string[]) =>
      Object.fromEntries(builtIn.map((role) => [`rbac.authorization.k8s.io/aggregate-to-${role}`, 'true']));
    const role = (id: string, name: string, labels: Record<string, string>, verbs: readonly string[], endpoints: kplus.IApiEndpoint[]) => {
      const clusterRole = new kplus.ClusterRole(this, id, { metadata: { name, labels }, rules: [{ verbs: [...verbs], endpoints }] });
      // cdk8s-plus writes one rule per endpoint, each with `resourceNames: []`, which the API
      // server drops (a re-apply would patch it back).
      ApiObject.of(clusterRole).addJsonPatch(...endpoints.map((_, i) => JsonPatch.remove(`/rules/${i}/resourceNames`)));
      return clusterRole;
    };
    this.editor = role('Editor', `${prefix}-editor`, aggregateTo('admin', 'edit'), BENCHMARK_USER_VERBS.edit, resources(BENCHMARK_PLURAL));
    this.viewer = role(
      'Viewer',
      `${prefix}-viewer`,
      aggregateTo('view'),
      BENCHMARK_USER_VERBS.view,
      resources(BENCHMARK_PLURAL, `${BENCHMARK_PLURAL}/status`),
    );
  }
}
