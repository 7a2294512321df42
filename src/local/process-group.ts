import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';

/** A program to start as a child of this process. */
export interface ChildSpec {
  /** Short unique name used in logs and errors, e.g. `hello-2`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  /** Resolve `start` once a stderr or stdout line matches; otherwise as soon as it is spawned. */
  readonly readyLine?: RegExp;
  /** @default 30000 */
  readonly readyTimeoutMs?: number;
}

export interface StartedChild {
  readonly name: string;
  readonly pid: number;
  /** The line that matched `readyLine`, if one was asked for. */
  readonly readyMatch: RegExpMatchArray | null;
}

const SETPRIV = '/usr/bin/setpriv';
const TAIL_LINES = 15;
const STOP_GRACE_MS = 5000;

interface Tracked {
  readonly child: ChildProcess;
  readonly tail: string[];
  expectedExit: boolean;
  exited: Promise<void>;
}

/**
 * Every process a run starts. Children stay in this process's session (never detached: Linux
 * autogroup scheduling would give a new session its own share of CPU), get SIGKILL if this process
 * dies (`setpriv --pdeathsig`, where available), and are all stopped by `stopAll`, including their
 * own children (nginx workers). A child that exits without being asked to is a failure: the group
 * records it and calls `onUnexpectedExit`.
 */
export class ProcessGroup {
  private readonly tracked = new Map<string, Tracked>();
  private readonly everStarted = new Set<number>();
  private failureError: Error | null = null;
  private stopping = false;
  private readonly killOnExit = () => {
    for (const t of this.tracked.values()) if (t.child.exitCode === null && t.child.signalCode === null) t.child.kill('SIGKILL');
  };

  constructor(private readonly onUnexpectedExit: (error: Error) => void) {
    // Last resort if the run is torn down without stopAll (an exception escaping everything).
    process.once('exit', this.killOnExit);
  }

  /** The first unexpected exit, if any. */
  get failure(): Error | null {
    return this.failureError;
  }

  /** Every pid this group started, with the children they had when stopAll began. */
  get pids(): readonly number[] {
    return [...this.everStarted];
  }

  async start(spec: ChildSpec): Promise<StartedChild> {
    if (this.stopping) throw new Error(`${spec.name} not started: the run is stopping`);
    if (this.tracked.has(spec.name)) throw new Error(`${spec.name} is already running`);
    const [command, args] = existsSync(SETPRIV)
      ? [SETPRIV, ['--pdeathsig', 'KILL', '--', spec.command, ...spec.args]]
      : [spec.command, [...spec.args]];
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const tail: string[] = [];
    let exitedResolve = () => {};
    const tracked: Tracked = { child, tail, expectedExit: false, exited: new Promise<void>((r) => (exitedResolve = r)) };
    this.tracked.set(spec.name, tracked);

    let onLine: (line: string) => void = () => {};
    for (const stream of [child.stdout, child.stderr]) {
      if (!stream) continue;
      createInterface({ input: stream }).on('line', (line) => {
        tail.push(line);
        if (tail.length > TAIL_LINES) tail.shift();
        onLine(line);
      });
    }

    const ready = new Promise<StartedChild>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${spec.name} was not ready within ${(spec.readyTimeoutMs ?? 30_000) / 1000} s${lastLines(tail)}`)),
        spec.readyTimeoutMs ?? 30_000,
      );
      const settle = (result: StartedChild | Error) => {
        clearTimeout(timer);
        onLine = () => {};
        if (result instanceof Error) reject(result);
        else resolve(result);
      };
      child.once('error', (err) => settle(new Error(`${spec.name}: cannot start ${spec.command}: ${err.message}`)));
      child.once('spawn', () => {
        if (child.pid !== undefined) this.everStarted.add(child.pid);
        if (!spec.readyLine) settle({ name: spec.name, pid: child.pid ?? -1, readyMatch: null });
      });
      if (spec.readyLine) {
        const pattern = spec.readyLine;
        onLine = (line) => {
          const match = line.match(pattern);
          if (match) settle({ name: spec.name, pid: child.pid ?? -1, readyMatch: match });
        };
      }
      child.once('exit', (code, signal) => {
        exitedResolve();
        const how = signal ? `signal ${signal}` : `code ${code}`;
        settle(new Error(`${spec.name} exited with ${how} while starting${lastLines(tail)}`));
        if (!tracked.expectedExit && !this.failureError) {
          this.failureError = new Error(`${spec.name} exited unexpectedly with ${how}${lastLines(tail)}`);
          this.onUnexpectedExit(this.failureError);
        }
      });
    });
    return ready;
  }

  /** Kills one child on purpose (failover); the group does not count it as a failure. */
  async kill(name: string, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const t = this.tracked.get(name);
    if (!t) throw new Error(`${name} is not running`);
    t.expectedExit = true;
    t.child.kill(signal);
    await t.exited;
    this.tracked.delete(name);
  }

  /** Stops every child: SIGTERM, then SIGKILL after a grace period, grandchildren included. */
  async stopAll(): Promise<void> {
    this.stopping = true;
    const all = [...this.tracked.values()];
    const descendants = descendantsOf(all.flatMap((t) => (t.child.pid === undefined ? [] : [t.child.pid])));
    for (const pid of descendants) this.everStarted.add(pid);
    for (const t of all) {
      t.expectedExit = true;
      if (t.child.exitCode === null && t.child.signalCode === null) t.child.kill('SIGTERM');
    }
    const graceOver = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), STOP_GRACE_MS).unref());
    if ((await Promise.race([Promise.all(all.map((t) => t.exited)), graceOver])) === 'timeout') {
      for (const t of all) t.child.kill('SIGKILL');
      await Promise.all(all.map((t) => t.exited));
    }
    // Grandchildren whose parent died without stopping them (nginx workers of a killed master).
    for (const pid of descendants) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.tracked.clear();
    process.removeListener('exit', this.killOnExit);
  }
}

function lastLines(tail: readonly string[]): string {
  return tail.length === 0 ? '' : `; last output: ${tail.slice(-3).join(' | ')}`;
}

/** Pids of every living descendant of `roots` (from /proc). */
export function descendantsOf(roots: readonly number[]): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // Field 4 of /proc/PID/stat, after the parenthesised command (which may hold spaces).
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // exited while listing
    }
  }
  const found = new Set<number>();
  let frontier = new Set(roots);
  while (frontier.size > 0) {
    const next = new Set<number>();
    for (const [pid, ppid] of parentOf) if (frontier.has(ppid) && !found.has(pid)) next.add(pid);
    for (const pid of next) found.add(pid);
    frontier = next;
  }
  return [...found];
}
