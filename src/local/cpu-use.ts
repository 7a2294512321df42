/** How much CPU each process of a run used while it was measured: which one was the bottleneck. */
import { readFileSync } from 'node:fs';
import type { CpuUseSample } from '../report/index.js';
import type { CpuLimiter } from './cpu-limiter.js';
import { descendantsOf } from './process-group.js';

/** Clock ticks per second of /proc/PID/stat times (USER_HZ, 100 on every Linux ABI). */
const USER_HZ = 100;
export const LOAD_GENERATOR = 'load generator';

/** The processes to watch: a name (`hello-1`, `nginx`) and the root pid of each. */
export type WatchedProcesses = ReadonlyMap<string, number>;

interface Snapshot {
  readonly atMs: number;
  readonly cpuSeconds: Map<string, number | null>;
  readonly throttling: Map<string, { periods: number; throttled: number } | null>;
  readonly own: NodeJS.CpuUsage;
}

/**
 * Samples CPU time at the start and at the end of a measured part. A process that was restarted
 * in between (failover) is left out: its counters started again.
 */
export class CpuUseMeter {
  private start: Snapshot | null = null;
  private readonly pids: Map<string, number[]>;

  constructor(
    private readonly processes: WatchedProcesses,
    private readonly limiter: CpuLimiter | null,
  ) {
    this.pids = new Map([...processes].map(([name, pid]) => [name, [pid]]));
  }

  begin(): void {
    // Children too (nginx workers), fixed now so a restart is not mistaken for the same process.
    for (const [name, pid] of this.processes) this.pids.set(name, [pid, ...descendantsOf([pid])]);
    this.start = this.snapshot();
  }

  /** The sample since `begin`, or null if `begin` never ran (the run was cut short). */
  end(topology: string, trial: number): CpuUseSample | null {
    if (!this.start) return null;
    const end = this.snapshot();
    const seconds = (end.atMs - this.start.atMs) / 1000;
    if (seconds <= 0) return null;
    const cpus: Record<string, number> = {};
    const throttled: Record<string, number> = {};
    for (const name of this.processes.keys()) {
      const before = this.start.cpuSeconds.get(name);
      const after = end.cpuSeconds.get(name);
      if (before != null && after != null && after >= before) cpus[name] = round((after - before) / seconds);
      const t0 = this.start.throttling.get(name);
      const t1 = end.throttling.get(name);
      if (t0 && t1 && t1.periods > t0.periods) throttled[name] = round((t1.throttled - t0.throttled) / (t1.periods - t0.periods));
    }
    const own = process.cpuUsage(this.start.own);
    cpus[LOAD_GENERATOR] = round((own.user + own.system) / 1e6 / seconds);
    return { topology, trial, cpus, ...(Object.keys(throttled).length > 0 ? { throttled } : {}) };
  }

  private snapshot(): Snapshot {
    const cpuSeconds = new Map<string, number | null>();
    const throttling = new Map<string, { periods: number; throttled: number } | null>();
    for (const [name, pids] of this.pids) {
      const times = pids.map(cpuSecondsOf);
      // The root process must still be the same one; children (nginx workers) may have come and gone.
      cpuSeconds.set(name, times[0] === null ? null : times.reduce<number>((sum, t) => sum + (t ?? 0), 0));
      throttling.set(name, this.limiter?.throttling(name) ?? null);
    }
    return { atMs: performance.now(), cpuSeconds, throttling, own: process.cpuUsage() };
  }
}

/** User plus system CPU seconds of `pid` (all its threads), or null if it is gone. */
function cpuSecondsOf(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command: state ppid pgrp session tty tpgid flags minflt
    // cminflt majflt cmajflt utime stime …
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return null;
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
