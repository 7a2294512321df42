/**
 * What `clusterbench bench` asks for and its check against the CRD schema: kept apart from bench.ts
 * so the option check runs (and exits 2) without loading @kubernetes/client-node.
 */
import type { BenchmarkSpec } from '../api/benchmark.js';
import { planOrUsageError, type BenchmarkPlan } from '../api/validate.js';

/** Flags as the CLI gives them (strings), already shaped as a spec; numbers stay raw until the schema check. */
export interface BenchRequest {
  readonly name: string;
  readonly namespace: string;
  readonly spec: BenchmarkSpec;
}

/** The spec's fields as `clusterbench bench` flags, so an error names what the user typed. */
const FLAG_OF_FIELD: Readonly<Record<string, string>> = {
  'metadata.name': '--name',
  'spec.topologies': '--topologies',
  'spec.scenario': '--scenario',
  'spec.load.mode': '--mode',
  'spec.load.connections': '--connections',
  'spec.load.rate': '--rate',
  'spec.load.duration': '--duration',
  'spec.load.warmup': '--warmup',
  'spec.load.timeout': '--timeout',
  'spec.runners': '--runners',
  'spec.trials': '--trials',
  'spec.failover': '--kill-after',
  'spec.failover.killAfter': '--kill-after',
  'spec.replicas': '--replicas',
};

/** Validates with the CRD's schema; a UsageError names the flag (exit 2). */
export function checkRequest(request: BenchRequest): BenchmarkPlan {
  try {
    return planOrUsageError(request.name, request.spec);
  } catch (err) {
    const message = (err as Error).message;
    const field = message.slice(0, message.indexOf(':'));
    const flag = FLAG_OF_FIELD[field.replace(/\[\d+\]$/, '')];
    if (flag) (err as Error).message = `${flag}${message.slice(field.length)}`;
    throw err;
  }
}

/** A default name: `bench-<UTC time>`, unique per second and short enough for Job names. */
export function defaultBenchmarkName(now = new Date()): string {
  return `bench-${now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15).toLowerCase()}`;
}
