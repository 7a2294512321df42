/**
 * Ownership by UID: every object the controller makes for a Benchmark names it as controlling
 * owner (the garbage collector removes them with it), and an object counts as a Benchmark's only
 * when that owner's UID is this Benchmark's (an earlier Benchmark of the same name is another).
 */
import type { KubernetesObject, V1OwnerReference } from '@kubernetes/client-node';
import { BENCHMARK_API_VERSION, BENCHMARK_KIND, type Benchmark } from '../api/benchmark.js';

/** The owner reference naming a Benchmark as controller of an object. */
export function ownerOf(benchmark: Benchmark): V1OwnerReference {
  return {
    apiVersion: BENCHMARK_API_VERSION,
    kind: BENCHMARK_KIND,
    name: benchmark.metadata.name,
    uid: benchmark.metadata.uid ?? '',
    controller: true,
  };
}

/** The UID of an object's controlling owner (its Benchmark), if it has one. */
export function controllerUid(object: KubernetesObject | undefined): string | undefined {
  return object?.metadata?.ownerReferences?.find((o) => o.controller)?.uid;
}
