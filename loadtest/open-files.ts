/**
 * The load generator's own open-files limit, settled before a run: every connection is a file
 * descriptor, and a socket refused with EMFILE is the client's limit, not a server that failed.
 * Node cannot call setrlimit, but prlimit(1) can raise the soft limit of a running process up to
 * its hard limit (no privilege needed); children started afterwards (local's servers) inherit it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { UsageError } from './usage-error.js';

/** Files the generator holds besides its connections: stdio, workers' pipes, node's own, results. */
export const SPARE_OPEN_FILES = 64;

export interface OpenFilesLimit {
  readonly soft: number;
  readonly hard: number;
}

/** "Max open files  256  1024  files" of /proc/<pid>/limits; null where there is none (not Linux). */
export function readOpenFilesLimit(pid: number | 'self' = 'self'): OpenFilesLimit | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/limits`, 'utf8');
  } catch {
    return null;
  }
  const match = /^Max open files\s+(\S+)\s+(\S+)/m.exec(text);
  if (match === null) return null;
  const value = (s: string) => (s === 'unlimited' ? Infinity : Number(s));
  return { soft: value(match[1]), hard: value(match[2]) };
}

/**
 * Makes sure this process may open `needed` files: raises the soft limit to the hard one with
 * prlimit when it is lower, else throws a UsageError naming `flag`, the limit and how to raise it.
 * Returns the soft limit in force.
 */
export function ensureOpenFiles(flag: string, connections: number): number {
  const needed = connections + SPARE_OPEN_FILES;
  const limit = readOpenFilesLimit();
  if (limit === null || limit.soft >= needed) return limit?.soft ?? Infinity;
  if (limit.hard >= needed) {
    const raised = Number.isFinite(limit.hard) ? limit.hard : needed;
    spawnSync('prlimit', ['--pid', String(process.pid), `--nofile=${raised}:${Number.isFinite(limit.hard) ? limit.hard : 'unlimited'}`], {
      stdio: 'ignore',
    });
    const after = readOpenFilesLimit();
    if (after !== null && after.soft >= needed) return after.soft;
  }
  throw new UsageError(
    `${flag}: ${connections} connections need about ${needed} open files, but the open-files limit (ulimit -n) is ${limit.soft}` +
      (limit.hard >= needed ? ` and prlimit could not raise it` : `, hard limit ${limit.hard}`) +
      `: raise it (e.g. ulimit -n ${needed}, as root or in /etc/security/limits.conf) or use fewer connections`,
  );
}
