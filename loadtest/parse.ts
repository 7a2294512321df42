import { UsageError } from './usage-error.js';

const durationUnitsMs: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration such as `10s`, `500ms`, `200us`, `1m` or `1m30s` into milliseconds.
 * A bare number means seconds. Throws a UsageError that names `field`.
 */
export function parseDurationMs(field: string, value: string, opts: { allowZero?: boolean } = {}): number {
  const text = String(value).trim();
  let totalMs: number;
  if (/^\d+(\.\d+)?$/.test(text)) {
    totalMs = Number(text) * 1000;
  } else {
    const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(us|ms|s|m|h)/g)];
    if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) {
      throw new UsageError(`${field}: "${value}" is not a duration (use a number with us, ms, s, m or h, e.g. 10s)`);
    }
    totalMs = parts.reduce((sum, p) => sum + Number(p[1]) * durationUnitsMs[p[2]], 0);
  }
  if (!(totalMs > 0) && !(opts.allowZero && totalMs === 0)) {
    throw new UsageError(`${field}: "${value}" must be ${opts.allowZero ? 'zero or more' : 'greater than zero'}`);
  }
  return totalMs;
}

/** Parses a whole number within [min, max]; the error names `field` and the range. */
export function parseInteger(field: string, value: string | number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const text = String(value).trim();
  const n = Number(text);
  if (!/^-?\d+$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `${min} or more` : `${min} to ${max}`;
    throw new UsageError(`${field}: "${value}" must be a whole number, ${range}`);
  }
  return n;
}

/** Parses a number greater than zero (or zero with allowZero); the error names `field`. */
export function parsePositiveNumber(field: string, value: string | number, opts: { allowZero?: boolean } = {}): number {
  const text = String(value).trim();
  const n = Number(text);
  if (text === '' || !Number.isFinite(n) || n < 0 || (n === 0 && !opts.allowZero)) {
    throw new UsageError(`${field}: "${value}" must be a number ${opts.allowZero ? 'of zero or more' : 'greater than zero'}`);
  }
  return n;
}

/** Checks that `value` is one of `allowed`; the error names `field` and lists the allowed values. */
export function parseEnum<T extends string>(field: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`${field}: "${value}" is not allowed (allowed: ${allowed.join(', ')})`);
  }
  return value as T;
}

/** Parses a comma-separated list of allowed values, rejecting unknown and repeated ones. */
export function parseEnumList<T extends string>(field: string, value: string, allowed: readonly T[]): T[] {
  const items = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) {
    throw new UsageError(`${field}: empty list (allowed: ${allowed.join(', ')})`);
  }
  const parsed = items.map((item) => parseEnum(field, item, allowed));
  const repeated = parsed.find((item, i) => parsed.indexOf(item) !== i);
  if (repeated) throw new UsageError(`${field}: "${repeated}" is listed twice`);
  return parsed;
}

/** Parses a comma-separated list of whole numbers within [min, max], ascending, each once (`1,2,4`). */
export function parseAscendingIntegers(field: string, value: string, min: number, max: number): number[] {
  const items = value.split(',').map((s) => s.trim());
  const numbers = items.map((item) => (/^\d+$/.test(item) ? Number(item) : Number.NaN));
  const valid = numbers.every((n, i) => Number.isSafeInteger(n) && n >= min && n <= max && (i === 0 || n > numbers[i - 1]));
  if (!valid) throw new UsageError(`${field}: "${value}" must be whole numbers ${min} to ${max}, ascending, each once (e.g. 1,2,3,4)`);
  return numbers;
}
