import { UsageError } from '../../loadtest/usage-error.js';

/** Parses a Kubernetes CPU quantity (`250m`, `1`, `1.5`) into millicores; the error names `field`. */
export function parseCpuMillis(field: string, value: string): number {
  const text = String(value).trim();
  let millis = NaN;
  if (/^\d+m$/.test(text)) millis = Number(text.slice(0, -1));
  else if (/^\d+(\.\d{1,3})?$/.test(text)) millis = Math.round(Number(text) * 1000);
  if (!(millis > 0)) {
    throw new UsageError(`${field}: "${value}" is not a CPU quantity greater than zero (e.g. 250m or 1)`);
  }
  return millis;
}

const memoryUnits: Record<string, number> = { Ki: 1 / 1024, Mi: 1, Gi: 1024 };

/** Parses a Kubernetes memory quantity (`64Mi`, `1Gi`) into MiB; the error names `field`. */
export function parseMemoryMiB(field: string, value: string): number {
  const match = /^(\d+)(Ki|Mi|Gi)$/.exec(String(value).trim());
  const mib = match ? Number(match[1]) * memoryUnits[match[2]] : NaN;
  if (!(mib >= 4)) {
    throw new UsageError(`${field}: "${value}" is not a memory quantity of at least 4Mi (use Ki, Mi or Gi, e.g. 128Mi)`);
  }
  return mib;
}
