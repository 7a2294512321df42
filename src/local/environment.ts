/** What the local run records about the machine and the programs it measured. */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, loadavg, release } from 'node:os';
import { promisify } from 'node:util';
import type { ReportEnvironment } from '../report/index.js';
import { cpuModel } from '../util/machine.js';

const run = promisify(execFile);

export function loadAverage(): number[] {
  return loadavg().map((v) => Math.round(v * 100) / 100);
}

/** Versions of node, the kernel, the Go toolchain the servers were built with, and nginx. */
async function programVersions(binaries: { hello: string; nginx?: string }): Promise<Record<string, string>> {
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
function autogroupEnabled(): boolean {
  try {
    return readFileSync('/proc/sys/kernel/sched_autogroup_enabled', 'utf8').trim() === '1';
  } catch {
    return false;
  }
}

/** What the run knows about itself, for the report's environment. */
export interface LocalRunFacts {
  readonly binaries: { readonly hello: string; readonly nginx?: string };
  readonly clusterbenchVersion: string;
  /** The CPU limiter in use, if any. */
  readonly limiter: { readonly cpus: number; readonly mechanism: string } | null;
  /** Why a requested CPU limit was not applied. */
  readonly limitNote?: string;
  readonly loadWorkers: number;
  /** Names of the processes started: `single`, `hello-1`, …, `nginx`, `rpc-gateway`. */
  readonly processes: readonly string[];
  readonly loadAverageAtStart: readonly number[];
  readonly notes: readonly string[];
}

/** The report's environment for a local run: machine, versions, CPU limits, what ran where. */
export async function describeEnvironment(facts: LocalRunFacts): Promise<ReportEnvironment> {
  const { limiter } = facts;
  return {
    where: 'local: one machine, every server a process on 127.0.0.1',
    cpus: { model: cpuModel(), count: cpus().length },
    versions: { ...(await programVersions(facts.binaries)), clusterbench: facts.clusterbenchVersion },
    cpuLimits: limiter
      ? {
          perServer: limiter.cpus,
          mechanism: `${limiter.mechanism}; each hello server, balancer and the load generator in its own cgroup of equal scheduling weight, as pods`,
        }
      : { perServer: null, mechanism: 'none', ...(facts.limitNote ? { note: facts.limitNote } : {}) },
    placement: {
      'load generator': `in the clusterbench process (runLoad, ${facts.loadWorkers} worker threads), on the same CPUs as the servers`,
      servers: `${facts.processes.join(', ')}: child processes of clusterbench`,
      scheduler: limiter
        ? 'each process of the comparison in its own cgroup of equal weight (Linux autogroup does not apply inside cgroups)'
        : autogroupEnabled()
          ? 'Linux autogroup on: every process of the comparison in one session, so they share its CPU as threads do'
          : 'Linux autogroup off',
    },
    loadAverage: { start: facts.loadAverageAtStart, end: loadAverage() },
    notes: facts.notes,
  };
}
