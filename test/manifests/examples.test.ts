import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { BENCHMARK_API_VERSION, BENCHMARK_KIND } from '../../src/api/benchmark.js';
import { checkBenchmarkName, resolveBenchmarkSpec } from '../../src/api/validate.js';

// examples/benchmark.yaml as the controller sees it (test/manifests/api-server.test.ts applies it
// to a real API server, as a user holding only the built-in edit role).
const example = parse(readFileSync('examples/benchmark.yaml', 'utf8'));

describe('examples/benchmark.yaml', () => {
  it('is a Benchmark the controller accepts, in whatever namespace it is applied to', () => {
    expect(example.apiVersion).toBe(BENCHMARK_API_VERSION);
    expect(example.kind).toBe(BENCHMARK_KIND);
    expect(example.metadata.namespace).toBeUndefined();
    expect(checkBenchmarkName(example.metadata.name)).toBeUndefined();
    const resolved = resolveBenchmarkSpec(example.spec);
    expect('problem' in resolved ? resolved.problem : undefined).toBeUndefined();
  });

  it('is the one README shows how to apply', () => {
    const readme = readFileSync('README.md', 'utf8');
    expect(readme).toContain('kubectl apply -n clusterbench -f examples/benchmark.yaml');
  });
});
