/**
 * What `clusterbench merge` accepts (DESIGN.md, "Load result"): each file a well-formed
 * `clusterbench/load-result@2`, and all of them parts of one run, i.e. runners that loaded the
 * same target at the same time. Anything else would add up to a confident, meaningless sum.
 * Fields not named here (added by newer versions) are tolerated.
 */
import { decodeHistogram } from './histogram.js';
import { UsageError } from './usage-error.js';
import { LOAD_RESULT_SCHEMA, type LoadResult } from './types.js';

const LATENCY_KEYS = ['mean', 'p50', 'p90', 'p99', 'p999', 'max'] as const;
const ERROR_KEYS = ['connect', 'timeout', 'reset', 'status4xx', 'status5xx'] as const;

type Check = (value: unknown) => string | null;

const count: Check = (v) => (Number.isSafeInteger(v) && (v as number) >= 0 ? null : 'must be a whole number, 0 or more');
const amount: Check = (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? null : 'must be a number of zero or more');
const text: Check = (v) => (typeof v === 'string' ? null : 'must be a string');
const oneOf =
  (...allowed: unknown[]): Check =>
  (v) =>
    allowed.includes(v) ? null : `is not allowed (allowed: ${allowed.map(String).join(', ')})`;
const time: Check = (v) => (typeof v === 'string' && Number.isFinite(Date.parse(v)) ? null : 'must be an ISO time');
const objectOf =
  (keys: readonly string[], each: Check): Check =>
  (v) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'must be an object';
    for (const key of keys) {
      const problem = each((v as Record<string, unknown>)[key]);
      if (problem !== null) return `.${problemAt(key, (v as Record<string, unknown>)[key], problem)}`;
    }
    return null;
  };
const mapOf =
  (each: Check): Check =>
  (v) =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? objectOf(Object.keys(v), each)(v) : 'must be an object';
const timeline: Check = (v) => {
  if (!Array.isArray(v)) return 'must be a list';
  for (const [i, point] of v.entries()) {
    const problem = objectOf(['t', 'rps', 'p99Us', 'errors'], amount)(point);
    if (problem !== null) return `[${i}]${problem.startsWith('.') ? problem : `: ${problem}`}`;
  }
  return null;
};

const histogram: Check = (v) => {
  if (typeof v !== 'string') return 'must be a string';
  try {
    decodeHistogram(v).destroy();
    return null;
  } catch {
    return 'is not a compressed base64 HdrHistogram';
  }
};

const REQUIRED: Readonly<Record<string, Check>> = {
  schema: oneOf(LOAD_RESULT_SCHEMA),
  topology: text,
  trial: count,
  runner: count,
  target: text,
  mode: oneOf('closed', 'open'),
  connections: (v) => (Number.isSafeInteger(v) && (v as number) >= 1 ? null : 'must be a whole number, 1 or more'),
  rate: (v) => (v === null || (typeof v === 'number' && v > 0 && Number.isFinite(v)) ? null : 'must be null or a number greater than zero'),
  durationMs: amount,
  warmupMs: amount,
  startedAt: time,
  startSkewMs: (v) => (typeof v === 'number' && Number.isFinite(v) ? null : 'must be a number'),
  due: count,
  sent: count,
  notSent: count,
  requests: count,
  throughputRps: amount,
  errorRps: amount,
  latencyUs: objectOf(LATENCY_KEYS, amount),
  errors: objectOf(ERROR_KEYS, count),
  backends: mapOf(count),
  timeline,
  histogram,
};
const OPTIONAL: Readonly<Record<string, Check>> = {
  serviceTimeUs: objectOf(LATENCY_KEYS, amount),
  serviceHistogram: histogram,
  sendLagUs: objectOf(LATENCY_KEYS, amount),
  sendLagHistogram: histogram,
  clientStallMs: amount,
  runId: text,
};

function describe(value: unknown): string {
  return value === undefined ? 'missing' : (JSON.stringify(value)?.slice(0, 40) ?? typeof value);
}

/** "field: <value> problem", "field: missing (problem)", or "field.key: ..." for nested problems. */
function problemAt(field: string, value: unknown, problem: string): string {
  if (problem.startsWith('.') || problem.startsWith('[')) return `${field}${problem}`;
  return value === undefined ? `${field}: missing (${problem})` : `${field}: ${describe(value)} ${problem}`;
}

/** Checks one parsed file; a UsageError names the file and the first field that is wrong. */
export function validateLoadResult(value: unknown, name: string): LoadResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError(`${name}: not a ${LOAD_RESULT_SCHEMA} result (not a JSON object)`);
  const record = value as Record<string, unknown>;
  if (record.schema !== LOAD_RESULT_SCHEMA)
    throw new UsageError(`${name}: not a ${LOAD_RESULT_SCHEMA} result (schema: ${describe(record.schema)})`);
  const checks = [...Object.entries(REQUIRED), ...Object.entries(OPTIONAL).filter(([field]) => record[field] !== undefined)];
  for (const [field, check] of checks) {
    const problem = check(record[field]);
    if (problem !== null) throw new UsageError(`${name}: ${problemAt(field, record[field], problem)}`);
  }
  return value as LoadResult;
}

/** The run ids a result stands for: its own, or those of the runs merged into it. */
function runIds(result: LoadResult): string[] {
  return result.runId === undefined ? [] : result.runId.split(',');
}

/**
 * Checks that `results` (named by file) are runners of one run: same target, mode, duration and
 * share of the load, measured windows that overlap, and no run counted twice. A UsageError names
 * the two files and the field in which they differ.
 */
export function checkMergeable(results: readonly { readonly name: string; readonly result: LoadResult }[]): void {
  const [first, ...rest] = results;
  const differ = (other: { name: string }, field: string, a: unknown, b: unknown) =>
    new UsageError(
      `files: ${first.name} and ${other.name} differ in ${field} (${String(a)} vs ${String(b)}): merge adds up runners of one run only`,
    );
  for (const other of rest) {
    const [a, b] = [first.result, other.result];
    if (a.topology !== b.topology) throw differ(other, 'topology', a.topology, b.topology);
    if (a.target !== b.target) throw differ(other, 'target', a.target, b.target);
    if (a.mode !== b.mode) throw differ(other, 'mode', a.mode, b.mode);
    if (a.durationMs !== b.durationMs) throw differ(other, 'durationMs', a.durationMs, b.durationMs);
    // Runners split the connections evenly (shares differ by one at most) and the rate evenly.
    if (Math.abs(a.connections - b.connections) > 1) throw differ(other, 'connections', a.connections, b.connections);
    if (a.rate !== b.rate && (a.rate === null || b.rate === null || Math.abs(a.rate - b.rate) > 0.01 * Math.max(a.rate, b.rate))) {
      throw differ(other, 'rate', a.rate, b.rate);
    }
  }
  const windows = results.map(({ result }) => ({
    start: Date.parse(result.startedAt),
    end: Date.parse(result.startedAt) + result.durationMs,
  }));
  const latestStart = Math.max(...windows.map((w) => w.start));
  const earliestEnd = Math.min(...windows.map((w) => w.end));
  if (latestStart >= earliestEnd) {
    const late = results[windows.findIndex((w) => w.start === latestStart)];
    const early = results[windows.findIndex((w) => w.end === earliestEnd)];
    throw new UsageError(
      `files: ${early.name} ended (${new Date(earliestEnd).toISOString()}) before ${late.name} started (${new Date(latestStart).toISOString()}): the windows do not overlap, so they are not runners of one run`,
    );
  }
  const seen = new Map<string, string>();
  for (const { name, result } of results) {
    // Results without a run id (written before runId existed) are told apart by their histogram.
    for (const id of runIds(result).length > 0 ? runIds(result) : [`histogram:${result.startedAt}:${result.histogram}`]) {
      const earlier = seen.get(id);
      if (earlier !== undefined)
        throw new UsageError(
          `files: ${earlier} and ${name} are the same run${earlier === name ? ' (given twice)' : ''}: each run counts once`,
        );
      seen.set(id, name);
    }
  }
}
