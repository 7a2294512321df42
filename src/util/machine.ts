/** Facts about the machine this process runs on, for the reports of local and cluster runs. */
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';

/** The CPU's model name (/proc/cpuinfo on Linux, else what Node knows). */
export function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1].trim();
  } catch {
    // not Linux: fall back to what Node knows
  }
  return cpus()[0]?.model ?? 'unknown';
}
