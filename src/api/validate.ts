/**
 * Validation of a Benchmark spec against the CRD's own schema (`benchmarkSpecSchema`), so the
 * controller's `InvalidSpec` condition, `clusterbench bench` and the API server agree; then the
 * few cross-field rules a structural schema cannot say, and the scenario's defaults.
 */
import { SCENARIOS, type ScenarioName } from '../scenarios.js';
import type { Topology } from '../topologies.js';
import { BALANCED_TOPOLOGIES } from '../topologies.js';
import type { LoadMode } from '../../loadtest/types.js';
import { parseDurationMs } from '../../loadtest/parse.js';
import { DEFAULT_TIMEOUT_MS } from '../../loadtest/run-load.js';
import { UsageError } from '../../loadtest/usage-error.js';
import { BENCHMARK_LIMITS, benchmarkSpecSchema, type BenchmarkSpec, type OpenApiSchema } from './benchmark.js';
import { nodeSelectorProblem, tolerationsProblem, type RunnerPlacement } from './placement.js';

/** One thing wrong with a spec: the field's path and a one-line message naming the allowed values. */
export interface SpecProblem {
  readonly field: string;
  readonly message: string;
}

/** Everything a run needs, with the scenario's defaults filled in. */
export interface BenchmarkPlan {
  readonly topologies: readonly Topology[];
  /** The scenario's name, or `custom` when spec.load overrode it. */
  readonly scenarioName: string;
  readonly scenario: ScenarioName;
  readonly mode: LoadMode;
  /** Over all runners. */
  readonly connections: number;
  /** Open loop, over all runners; null in closed loop. */
  readonly rate: number | null;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly timeoutMs: number;
  readonly runners: number;
  readonly trials: number;
  /** ms into the measured part at which a hello pod is deleted; null without failover. */
  readonly killAfterMs: number | null;
  /** `spec.placement.runners`. @default any node */
  readonly runnerPlacement?: RunnerPlacement;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : (JSON.stringify(value) ?? String(value));
}

function typeMatches(type: OpenApiSchema['type'], value: unknown): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'string':
      return typeof value === 'string';
    case 'integer':
      return Number.isSafeInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    default:
      return true;
  }
}

/**
 * Checks `value` against a structural schema: type, enum, bounds, pattern, required fields, set
 * lists, and no fields the schema does not know (the API server would prune them silently; a user
 * who misspelt one wants to hear it). Returns the first problem, or undefined.
 */
export function checkAgainstSchema(value: unknown, schema: OpenApiSchema, field: string): SpecProblem | undefined {
  if (value === null && schema.nullable) return undefined;
  if (!typeMatches(schema.type, value)) {
    return {
      field,
      message: `${describe(value)} is not ${schema.type === 'integer' ? 'a whole number' : `a${schema.type === 'object' || schema.type === 'array' ? 'n' : ''} ${schema.type}`}`,
    };
  }
  if (schema.enum && !schema.enum.includes(value as string | number)) {
    return { field, message: `${describe(value)} is not allowed (allowed: ${schema.enum.join(', ')})` };
  }
  if (typeof value === 'number') {
    const { minimum: min, maximum: max } = schema;
    if ((min !== undefined && value < min) || (max !== undefined && value > max)) {
      return { field, message: `${value} is out of range (allowed: ${min ?? '-∞'} to ${max ?? '∞'})` };
    }
  }
  if (typeof value === 'string') {
    if (schema.maxLength !== undefined && value.length > schema.maxLength) {
      return { field, message: `${describe(value)} is longer than ${schema.maxLength} characters` };
    }
    if (schema.pattern && !new RegExp(schema.pattern).test(value)) {
      return { field, message: `${describe(value)} is not a duration (use a number with us, ms, s, m or h, e.g. 10s)` };
    }
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) {
      return { field, message: `needs at least ${schema.minItems} item(s)${itemsAllowed(schema)}` };
    }
    if (schema.maxItems !== undefined && value.length > schema.maxItems) {
      return { field, message: `takes at most ${schema.maxItems} items` };
    }
    for (const [i, item] of value.entries()) {
      const problem = schema.items && checkAgainstSchema(item, schema.items, `${field}[${i}]`);
      if (problem) return problem;
      if (schema['x-kubernetes-list-type'] === 'set' && value.indexOf(item) !== i) {
        return { field, message: `${describe(item)} is listed twice` };
      }
    }
  }
  if (schema.type === 'object' && schema.additionalProperties) {
    const entries = Object.entries(value as Record<string, unknown>);
    if (schema.maxProperties !== undefined && entries.length > schema.maxProperties) {
      return { field, message: `takes at most ${schema.maxProperties} entries` };
    }
    for (const [name, item] of entries) {
      const problem = checkAgainstSchema(item, schema.additionalProperties, `${field}.${name}`);
      if (problem) return problem;
    }
  }
  if (schema.type === 'object' && schema.properties) {
    const object = value as Record<string, unknown>;
    for (const name of schema.required ?? []) {
      if (object[name] === undefined) return { field: `${field}.${name}`, message: `is required${itemsAllowed(schema.properties[name])}` };
    }
    for (const [name, item] of Object.entries(object)) {
      const property = schema.properties[name];
      if (!property) {
        return { field: `${field}.${name}`, message: `unknown field (allowed: ${Object.keys(schema.properties).join(', ')})` };
      }
      const problem = item === undefined ? undefined : checkAgainstSchema(item, property, `${field}.${name}`);
      if (problem) return problem;
    }
  }
  return undefined;
}

function itemsAllowed(schema: OpenApiSchema | undefined): string {
  const values = schema?.enum ?? schema?.items?.enum;
  return values ? ` (allowed: ${values.join(', ')})` : '';
}

/** A duration field in ms (`fallbackMs` when absent), or its problem. */
function durationOf(
  field: string,
  text: string | undefined,
  fallbackMs: number,
  allowZero = false,
): { ms: number } | { problem: SpecProblem } {
  if (text === undefined) return { ms: fallbackMs };
  try {
    return { ms: parseDurationMs(field, text, { allowZero }) };
  } catch (err) {
    // parseDurationMs prefixes the field; keep the rest of its one-line message.
    return { problem: { field, message: (err as Error).message.replace(`${field}: `, '') } };
  }
}

/**
 * Validates `spec` against the CRD schema and the cross-field rules, and resolves the scenario's
 * defaults. Returns the plan, or the first problem (field path starting with `spec`).
 */
export function resolveBenchmarkSpec(spec: unknown): { plan: BenchmarkPlan } | { problem: SpecProblem } {
  const problem = checkAgainstSchema(spec, benchmarkSpecSchema, 'spec');
  if (problem) return { problem };
  const s = spec as BenchmarkSpec;
  const scenario = SCENARIOS[s.scenario ?? 'standard'];
  const load = s.load ?? {};
  const mode: LoadMode = load.mode ?? (load.rate !== undefined ? 'open' : scenario.mode);
  const rate = mode === 'open' ? load.rate : null;
  if (rate === undefined) {
    return { problem: { field: 'spec.load.rate', message: 'is required when spec.load.mode is open' } };
  }
  if (mode === 'closed' && load.rate !== undefined) {
    return { problem: { field: 'spec.load.rate', message: 'applies only in open mode (allowed: mode open, or no rate)' } };
  }
  const duration = durationOf('spec.load.duration', load.duration, scenario.durationMs);
  if ('problem' in duration) return duration;
  const warmup = durationOf('spec.load.warmup', load.warmup, scenario.warmupMs, true);
  if ('problem' in warmup) return warmup;
  const timeout = durationOf('spec.load.timeout', load.timeout, DEFAULT_TIMEOUT_MS);
  if ('problem' in timeout) return timeout;
  const killAfter = s.failover ? durationOf('spec.failover.killAfter', s.failover.killAfter, 0) : { ms: null };
  if ('problem' in killAfter) return killAfter;
  const { ms: durationMs } = duration;
  const { ms: killAfterMs } = killAfter;
  const runners = s.runners ?? 1;
  const connections = load.connections ?? scenario.connections;
  if (mode === 'closed' && connections < runners) {
    return {
      problem: { field: 'spec.load.connections', message: `${connections} is fewer than spec.runners (${runners}); each runner needs one` },
    };
  }
  if (killAfterMs !== null) {
    if (killAfterMs >= durationMs) {
      return { problem: { field: 'spec.failover.killAfter', message: `must be shorter than the measured duration (${durationMs} ms)` } };
    }
    if (!s.topologies.some((t) => (BALANCED_TOPOLOGIES as readonly string[]).includes(t))) {
      return {
        problem: {
          field: 'spec.failover',
          message: `needs a balanced topology in spec.topologies (allowed: ${BALANCED_TOPOLOGIES.join(', ')})`,
        },
      };
    }
  }
  const runnerPlacement = s.placement?.runners;
  const placementProblem =
    nodeSelectorProblem(runnerPlacement?.nodeSelector ?? {}, 'spec.placement.runners.nodeSelector') ??
    tolerationsProblem(runnerPlacement?.tolerations ?? [], 'spec.placement.runners.tolerations');
  if (placementProblem) return { problem: placementProblem };
  const custom = s.load !== undefined && Object.keys(s.load).length > 0;
  return {
    plan: {
      topologies: s.topologies,
      scenarioName: custom ? 'custom' : scenario.name,
      scenario: scenario.name,
      mode,
      connections,
      rate,
      durationMs,
      warmupMs: warmup.ms,
      timeoutMs: timeout.ms,
      runners,
      trials: s.trials ?? scenario.trials,
      killAfterMs,
      ...(runnerPlacement ? { runnerPlacement } : {}),
    },
  };
}

/** Checks a Benchmark's name: its Jobs' names (`<name>-<topology>-t<trial>-a<attempt>`) must fit 63 characters. */
export function checkBenchmarkName(name: string): SpecProblem | undefined {
  if (name.length > BENCHMARK_LIMITS.nameMaxLength) {
    return { field: 'metadata.name', message: `"${name}" is longer than ${BENCHMARK_LIMITS.nameMaxLength} characters` };
  }
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name)) {
    return {
      field: 'metadata.name',
      message: `"${name}" must be lower-case letters, digits and '-', starting and ending with a letter or digit`,
    };
  }
  return undefined;
}

/** For the CLI: the plan, or a UsageError (exit 2) naming the field and the allowed values. */
export function planOrUsageError(name: string, spec: unknown): BenchmarkPlan {
  const nameProblem = checkBenchmarkName(name);
  if (nameProblem) throw new UsageError(`${nameProblem.field}: ${nameProblem.message}`);
  const resolved = resolveBenchmarkSpec(spec);
  if ('problem' in resolved) throw new UsageError(`${resolved.problem.field}: ${resolved.problem.message}`);
  return resolved.plan;
}
