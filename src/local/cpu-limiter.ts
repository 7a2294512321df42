import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const PERIOD_US = 100_000;
const GROUP_PREFIX = 'clusterbench-';

/**
 * Puts each hello server in its own cgroup with a CPU quota, as a pod with a CPU limit is, so three
 * servers have three times the CPU of one. cgroup v1 (`cpu.cfs_quota_us`) or v2 (`cpu.max`),
 * whichever the machine has.
 */
export interface CpuLimiter {
  /** CPUs each limited process may use. */
  readonly cpus: number;
  /** How the limit is enforced, for the report. */
  readonly mechanism: string;
  /** Moves `pid` (all its threads) into a new cgroup named `name` with the quota. */
  limit(name: string, pid: number): Promise<void>;
  /**
   * Moves `pids` into a new cgroup named `name` without a quota but with the same scheduling
   * weight as each server (a pod without a limit): the balancers and the load generator, so that
   * other sessions on the machine cannot starve them more than the servers.
   */
  weigh(name: string, pids: readonly number[]): Promise<void>;
  /** CPU-limit periods so far and how many of them throttled the group `name`; null if unknown. */
  throttling(name: string): { periods: number; throttled: number } | null;
  /** Removes the cgroups; call after the limited processes exited. */
  remove(): Promise<void>;
}

/** Either a limiter, or why none can be made here (cgroups missing or not writable). */
export type CpuLimiterResult = { readonly limiter: CpuLimiter } | { readonly unavailable: string };

export async function createCpuLimiter(cpus: number): Promise<CpuLimiterResult> {
  const hierarchy = findCpuHierarchy();
  if (!hierarchy) return { unavailable: 'no cgroup cpu controller is mounted' };
  await removeStaleGroups(hierarchy.root);
  const base = join(hierarchy.root, `${GROUP_PREFIX}${process.pid}`);
  const quotaUs = Math.max(1000, Math.round(cpus * PERIOD_US));
  try {
    if (hierarchy.version === 2) await writeFile(join(hierarchy.root, 'cgroup.subtree_control'), '+cpu');
    await mkdir(base, { recursive: true });
    if (hierarchy.version === 2) await writeFile(join(base, 'cgroup.subtree_control'), '+cpu');
  } catch (err) {
    await rmdir(base).catch(() => {});
    return { unavailable: `cgroups at ${hierarchy.root} are not writable (${errorCode(err)})` };
  }
  const created: string[] = [];
  const ownCgroup = ownCgroupPath(hierarchy.version);
  let movedSelf = false;
  /** A child group of `base` holding `pids`; the parent weighs as one session per child. */
  const place = async (name: string, pids: readonly number[], quota: boolean) => {
    const dir = join(base, name);
    await mkdir(dir, { recursive: true });
    if (!created.includes(dir)) created.push(dir);
    // The parent competes with other sessions as one entity (Linux autogroup gives each session
    // one weight): give it one session's weight per child, so three servers get three times the
    // CPU of one under contention too, as pods do.
    if (hierarchy.version === 1) await writeFile(join(base, 'cpu.shares'), String(1024 * created.length));
    else await writeFile(join(base, 'cpu.weight'), String(100 * created.length));
    if (quota && hierarchy.version === 1) {
      await writeFile(join(dir, 'cpu.cfs_period_us'), String(PERIOD_US));
      await writeFile(join(dir, 'cpu.cfs_quota_us'), String(quotaUs));
    } else if (quota) {
      await writeFile(join(dir, 'cpu.max'), `${quotaUs} ${PERIOD_US}`);
    }
    for (const pid of pids) {
      await writeFile(join(dir, 'cgroup.procs'), String(pid));
      if (pid === process.pid) movedSelf = true;
    }
  };
  const limiter: CpuLimiter = {
    cpus,
    mechanism:
      hierarchy.version === 1 ? `cgroup v1 cpu.cfs_quota_us ${quotaUs} per ${PERIOD_US} us` : `cgroup v2 cpu.max "${quotaUs} ${PERIOD_US}"`,
    limit: (name, pid) => place(name, [pid], true),
    weigh: (name, pids) => place(name, pids, false),
    throttling(name) {
      try {
        const stat = readFileSync(join(base, name, 'cpu.stat'), 'utf8');
        const field = (key: string) => Number(stat.match(new RegExp(`^${key} (\\d+)`, 'm'))?.[1]);
        const periods = field('nr_periods');
        const throttled = field('nr_throttled');
        return Number.isFinite(periods) && Number.isFinite(throttled) ? { periods, throttled } : null;
      } catch {
        return null;
      }
    },
    async remove() {
      // This process may be in one of the groups (the load generator): back where it was first.
      if (movedSelf && ownCgroup !== null) {
        await writeFile(join(hierarchy.root, ownCgroup, 'cgroup.procs'), String(process.pid)).catch(() => {});
      }
      for (const dir of [...created.reverse(), base]) await removeGroup(dir);
    },
  };
  return { limiter };
}

/** The cpu controller's mount: v2 when the unified hierarchy has it, else the v1 `cpu` mount. */
function findCpuHierarchy(): { version: 1 | 2; root: string } | null {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '));
  const v2 = mounts.find(([, , type]) => type === 'cgroup2');
  if (
    v2 &&
    existsSync(join(v2[1], 'cgroup.controllers')) &&
    readFileSync(join(v2[1], 'cgroup.controllers'), 'utf8').split(/\s+/).includes('cpu')
  ) {
    return { version: 2, root: v2[1] };
  }
  const v1 = mounts.find(([, , type, options]) => type === 'cgroup' && (options ?? '').split(',').includes('cpu'));
  return v1 ? { version: 1, root: v1[1] } : null;
}

/** This process's group in the cpu hierarchy, from /proc/self/cgroup (`/` at the root). */
function ownCgroupPath(version: 1 | 2): string | null {
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').split('\n')) {
    const [id, controllers, path] = line.split(':');
    if (path === undefined) continue;
    if (version === 2 ? id === '0' : controllers.split(',').includes('cpu')) return path;
  }
  return null;
}

/** Groups left by runs that were killed before they could clean up. */
async function removeStaleGroups(root: string): Promise<void> {
  const entries = await readdir(root).catch(() => [] as string[]);
  for (const entry of entries) {
    const owner = Number(entry.slice(GROUP_PREFIX.length));
    if (!entry.startsWith(GROUP_PREFIX) || !Number.isInteger(owner) || isAlive(owner)) continue;
    const dir = join(root, entry);
    const children = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const c of children) if (c.isDirectory()) await removeGroup(join(dir, c.name));
    await removeGroup(dir);
  }
}

/** rmdir, retried briefly: a process that just exited may still be counted in the group. */
async function removeGroup(dir: string): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await rmdir(dir);
      return;
    } catch (err) {
      if (errorCode(err) === 'ENOENT') return;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errorCode(err) === 'EPERM';
  }
}

function errorCode(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? String(err);
}
