/** The report's environment for a cluster run. */
import { cpus, release } from 'node:os';
import type { V1Pod } from '@kubernetes/client-node';
// Not re-exported by the package's index (1.4.0), but typed and public in its dist.
import { quantityToScalar } from '@kubernetes/client-node/dist/util.js';
import type { ReportEnvironment } from '../report/index.js';
import { cpuModel } from '../util/machine.js';

/** A CPU quantity (`250m`, `2`) in cores; NaN when it is not one. */
export function cpuCores(quantity: string): number {
  try {
    return Number(quantityToScalar(quantity));
  } catch {
    return NaN;
  }
}

/** The report's environment in a cluster: where, versions, the hello pods' CPU limit. */
export function clusterEnvironment(namespace: string, kubernetesVersion: string, helloPods: readonly V1Pod[]): ReportEnvironment {
  const limit = helloPods[0]?.spec?.containers?.[0]?.resources?.limits?.cpu;
  const perServer = limit === undefined ? null : cpuCores(limit);
  return {
    where: `cluster: namespace ${namespace}`,
    cpus: { model: cpuModel(), count: cpus().length },
    versions: { node: process.version, kubernetes: kubernetesVersion, kernel: release() },
    cpuLimits:
      perServer === null || !Number.isFinite(perServer)
        ? { perServer: null, mechanism: 'none' }
        : { perServer, mechanism: 'kubernetes limits' },
    placement: {
      'load generator': 'runner pods of an Indexed Job',
      servers: 'Deployments hello-single and hello',
      controller: 'machine of the controller pod (cpus above)',
    },
  };
}
