// src/constructs/benchmark-crd.ts: the Benchmark CRD carries the API schema of src/api/benchmark.ts.
import { describe, expect, it } from 'vitest';
import { BENCHMARK_GROUP, BENCHMARK_VERSION, benchmarkCrdSchema, benchmarkPrinterColumns } from '../../src/api/benchmark.js';
import { find, synth } from './manifests.js';

describe('charts: the benchmark controller', () => {
  const { objects } = synth();

  it('the Benchmark CRD: clusterbench.dev/v1alpha1, namespaced, status subresource, the API schema', () => {
    const crd = find(objects, 'CustomResourceDefinition', `benchmarks.${BENCHMARK_GROUP}`);
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names.kind).toBe('Benchmark');
    const [version] = crd.spec.versions;
    expect(version.name).toBe(BENCHMARK_VERSION);
    expect(version.subresources).toEqual({ status: {} });
    expect(version.schema.openAPIV3Schema).toEqual(benchmarkCrdSchema);
    expect(version.additionalPrinterColumns.map((c: any) => c.name)).toEqual(benchmarkPrinterColumns.map((c) => c.name));
    const spec = version.schema.openAPIV3Schema.properties.spec;
    expect(spec.required).toEqual(['topologies']);
    expect(spec.properties.topologies.items.enum).toEqual(['single', 'nginx', 'ingress-nginx', 'rpc-gateway']);
    expect(spec.properties.runners).toMatchObject({ minimum: 1, maximum: 100 });
  });
});
