/**
 * The run ConfigMaps in the API server: one record ConfigMap per run (merge-patched key by key, so
 * an intent, a kill and a record each land on their own), the parts of large results, and the report. Parsing
 * and caching are run-store.ts's; this class only reads and writes, owned by the Benchmark's UID.
 */
import { PatchStrategy, setHeaderOptions, type CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import type { Benchmark } from '../api/benchmark.js';
import { isApiCode } from '../kube/kube.js';
import { runConfigMapName, runPartConfigMapName, type BenchmarkRef, type RunId } from './names.js';
import { controllerUid, ownerOf } from './owners.js';
import { PART_KEY, RunStore, runLabels, runSelector, type StoredRuns } from './run-store.js';

export const mergePatch = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);

export class RunConfigMaps {
  /** Parsed run ConfigMaps (with their results' parts) by Benchmark UID; dropped once the Benchmark is finished. */
  readonly store: RunStore;

  constructor(
    private readonly core: CoreV1Api,
    private readonly namespace: string,
    log: (line: string) => void,
  ) {
    this.store = new RunStore(log);
  }

  /** Adds keys to a run's record ConfigMap (a merge patch), creating it on first use. */
  async patchRun(benchmark: Benchmark, run: RunId, data: Record<string, string>): Promise<void> {
    const ref = { name: benchmark.metadata.name, uid: benchmark.metadata.uid ?? '' };
    await this.patchConfigMap(benchmark, runConfigMapName(ref, run), undefined, data);
  }

  /** Merge-patches a ConfigMap of the Benchmark's, creating it (labelled as `component`) on first use. */
  async patchConfigMap(benchmark: Benchmark, name: string, component: string | undefined, data: Record<string, string>) {
    const namespace = this.namespace;
    const ref = { name: benchmark.metadata.name, uid: benchmark.metadata.uid ?? '' };
    try {
      await this.core.patchNamespacedConfigMap({ name, namespace, body: { data } }, mergePatch);
    } catch (err) {
      if (!isApiCode(err, 404)) throw err;
      await this.core.createNamespacedConfigMap({
        namespace,
        body: { metadata: { name, namespace, labels: runLabels(ref, component), ownerReferences: [ownerOf(benchmark)] }, data },
      });
    }
  }

  /** A Benchmark's run records, each with its results' parts fetched once per resourceVersion (run-store.ts). */
  async readRuns(benchmark: BenchmarkRef): Promise<StoredRuns> {
    const namespace = this.namespace;
    const list = await this.core.listNamespacedConfigMap({ namespace, labelSelector: runSelector(benchmark) });
    return this.store.read(benchmark, list.items, async (run, k) => {
      const name = runPartConfigMapName(benchmark, run, k);
      const part = (await this.core.listNamespacedConfigMap({ namespace, fieldSelector: `metadata.name=${name}` })).items[0];
      return controllerUid(part) === benchmark.uid ? part?.data?.[PART_KEY] : undefined;
    });
  }

  /**
   * Creates the Benchmark's report ConfigMap `name`, or merge-patches it when it is already this
   * Benchmark's; one an earlier Benchmark of this name left is not overwritten (an error until it is gone).
   */
  async writeReport(benchmark: Benchmark, name: string, data: Record<string, string>): Promise<void> {
    const namespace = this.namespace;
    const body: V1ConfigMap = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name, namespace, ownerReferences: [ownerOf(benchmark)] },
      data,
    };
    try {
      await this.core.createNamespacedConfigMap({ namespace, body });
    } catch (err) {
      if (!isApiCode(err, 409)) throw err;
      // An earlier Benchmark of this name left it (the garbage collector removes it soon): not ours to overwrite.
      const existing = (await this.core.listNamespacedConfigMap({ namespace, fieldSelector: `metadata.name=${name}` })).items[0];
      const owner = controllerUid(existing);
      if (owner !== undefined && owner !== benchmark.metadata.uid)
        throw new Error(`ConfigMap ${name} belongs to an earlier Benchmark of this name (uid ${owner}); waiting for its removal`, {
          cause: err,
        });
      await this.core.patchNamespacedConfigMap({ name, namespace, body: { data } }, mergePatch);
    }
  }
}
