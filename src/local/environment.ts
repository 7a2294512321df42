/** What the local run records about the machine and the programs it measured. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { promisify } from 'node:util';

const run = promisify(execFile);

export function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8').split('\n').find((l) => l.startsWith('model name'));
    if (line) return line.split(':')[1].trim();
  } catch {
    // not Linux: fall back to what Node knows
  }
  return cpus()[0]?.model ?? 'unknown';
}

export function loadAverage(): number[] {
  return loadavg().map((v) => Math.round(v * 100) / 100);
}

/** Versions of node, the kernel, the Go toolchain the servers were built with, and nginx. */
export async function programVersions(binaries: { hello: string; nginx?: string }): Promise<Record<string, string>> {
  const versions: Record<string, string> = { node: process.version, kernel: release() };
  // `go version FILE` reads the toolchain version stamped into the binary.
  const go = await run('go', ['version', binaries.hello]).catch(() => null);
  const goVersion = go?.stdout.match(/go\d+\.\d+(\.\d+)?/)?.[0];
  if (goVersion) versions.go = goVersion.slice(2);
  if (binaries.nginx) {
    const nginx = await run(binaries.nginx, ['-v']).catch(() => null);
    const nginxVersion = nginx?.stderr.match(/nginx\/(\S+)/)?.[1];
    if (nginxVersion) versions.nginx = nginxVersion;
  }
  return versions;
}

/** Whether Linux autogroup scheduling is on (it shares CPU between sessions, not threads). */
export function autogroupEnabled(): boolean {
  try {
    return readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';
  } catch {
    return false;
  }
}
