/**
 * The controller's side of the runners' WebSocket: holds each run's runners until all are
 * connected, sends them one start time, collects their live progress, their results and, from a
 * runner that ends without one, its reason.
 */
import type { IncomingMessage, Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import type { LoadProgress, LoadResult } from '../../loadtest/types.js';
import { decodeResult } from './result-codec.js';
import { ResultAssembly } from './result-chunks.js';
import {
  INDEX_HEADER,
  JOB_HEADER,
  MAX_MESSAGE_BYTES,
  RUNNERS_PATH,
  frameText,
  parseRunnerMessage,
  type ControllerMessage,
} from './protocol.js';

/**
 * Time between sending the start and the start itself: enough for every runner to get it and
 * spawn its load workers (which took over 2 s on a loaded 2-CPU node).
 */
export const START_LEAD_MS = 3_000;

/**
 * When a run's runners start: the time already agreed if there is one (a runner reconnecting
 * after a controller restart reports it), else `lead` from now once all `expected` are connected.
 */
export function decideStart(
  ready: ReadonlySet<number>,
  expected: number | undefined,
  agreed: number | undefined,
  now: number,
  leadMs = START_LEAD_MS,
): number | undefined {
  if (agreed !== undefined) return agreed;
  if (expected === undefined || expected < 1) return undefined;
  for (let i = 0; i < expected; i++) if (!ready.has(i)) return undefined;
  return now + leadMs;
}

/** The runners' progress summed (elapsed and warmup from the furthest behind). */
export interface RunProgress {
  readonly runnersReady: number;
  readonly warmup: boolean;
  readonly elapsedMs: number;
  readonly requests: number;
  readonly rps: number;
  readonly errors: number;
}

export function sumProgress(ready: number, progress: readonly LoadProgress[]): RunProgress {
  return {
    runnersReady: ready,
    warmup: progress.length === 0 || progress.some((p) => p.warmup),
    elapsedMs: progress.length === 0 ? 0 : Math.min(...progress.map((p) => p.elapsedMs)),
    requests: progress.reduce((s, p) => s + p.requests, 0),
    rps: progress.reduce((s, p) => s + p.rps, 0),
    errors: progress.reduce((s, p) => s + p.errors, 0),
  };
}

interface Session {
  readonly sockets: Map<number, WebSocket>;
  startAt?: number;
  readonly progress: Map<number, LoadProgress>;
  readonly results: Map<number, LoadResult>;
  /** Each runner's result chunks so far (one assembly per runner, bounded). */
  readonly assemblies: Map<number, ResultAssembly>;
  /** Why each runner that failed says it failed (its `failed` message). */
  readonly failures: Map<number, string>;
}

/** What a runner claims when it connects: its Job, its index, its Job's token, its address. */
export interface RunnerClaim {
  readonly job: string;
  readonly index: number;
  readonly token: string;
  readonly peer: string;
}

/** The run an authenticated runner belongs to: its results must be of this topology and trial. */
export interface RunnerGrant {
  readonly topology: string;
  readonly trial: number;
}

export interface CoordinatorOptions {
  /** How many runners a Job has (its completions), or undefined while the Job is unknown. */
  readonly expectedRunners: (job: string) => number | undefined;
  /** Whether a claim is a real runner of a real Job: the grant, or why not. */
  readonly authorize: (claim: RunnerClaim) => RunnerGrant | { readonly refused: string };
  /** Called when something a reconcile may act on arrived (a start, a result). */
  readonly onChange?: () => void;
  readonly log?: (line: string) => void;
  readonly leadMs?: number;
}

/** `::ffff:10.0.0.5` (an IPv4 peer of a dual-stack socket) as `10.0.0.5`. */
export function plainAddress(address: string | undefined): string {
  return (address ?? '').replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
}

/** Why a result is not the one its runner was started for, if it is not. */
export function resultMismatch(result: LoadResult, grant: RunnerGrant, index: number): string | undefined {
  if (result.topology !== grant.topology) return `topology ${JSON.stringify(result.topology)}, not ${grant.topology}`;
  if (result.trial !== grant.trial) return `trial ${result.trial}, not ${grant.trial}`;
  if (result.runner !== index) return `runner ${result.runner}, not ${index}`;
  return undefined;
}

export class Coordinator {
  private readonly sessions = new Map<string, Session>();
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });

  constructor(private readonly options: CoordinatorOptions) {}

  /** Serves the runners' WebSocket on `server`, path /runners, to authenticated runners only. */
  attach(server: Server): void {
    server.on('upgrade', (req: IncomingMessage, socket, head) => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== RUNNERS_PATH) {
        socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
        return;
      }
      const peer = plainAddress(req.socket.remoteAddress);
      const claim: RunnerClaim = {
        job: String(req.headers[JOB_HEADER] ?? ''),
        index: Number(req.headers[INDEX_HEADER] ?? NaN),
        token: /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '',
        peer,
      };
      const grant =
        Number.isInteger(claim.index) && claim.job ? this.options.authorize(claim) : { refused: 'no Job or runner index in the request' };
      if ('refused' in grant) {
        this.options.log?.(`runner socket: refused ${peer} (job ${JSON.stringify(claim.job)}, runner ${claim.index}): ${grant.refused}`);
        socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, claim, grant));
    });
  }

  private session(job: string): Session {
    let s = this.sessions.get(job);
    if (!s) {
      s = { sockets: new Map(), progress: new Map(), results: new Map(), assemblies: new Map(), failures: new Map() };
      this.sessions.set(job, s);
    }
    return s;
  }

  /** Takes messages of one authenticated runner: only its own Job and index, only results of its run. */
  private accept(ws: WebSocket, claim: RunnerClaim, grant: RunnerGrant): void {
    const who = `${claim.job}/${claim.index} (${claim.peer})`;
    const refuse = (reason: string) => {
      this.options.log?.(`runner socket: ${who}: ${reason}; closing`);
      ws.close(1008, 'refused');
    };
    ws.on('message', (data) => {
      let message;
      try {
        message = parseRunnerMessage(frameText(data));
      } catch (err) {
        refuse((err as Error).message);
        return;
      }
      if (message.job !== claim.job || message.index !== claim.index) {
        refuse(`a message for ${message.job}/${message.index} on its socket`);
        return;
      }
      const s = this.session(claim.job);
      switch (message.type) {
        case 'ready':
          s.sockets.set(claim.index, ws);
          ws.once('close', () => {
            if (s.sockets.get(claim.index) === ws) s.sockets.delete(claim.index);
          });
          if (s.startAt === undefined && message.startAt !== undefined) s.startAt = message.startAt;
          this.maybeStart(claim.job);
          break;
        case 'progress':
          s.progress.set(claim.index, message.progress);
          break;
        case 'result': {
          let assembly = s.assemblies.get(claim.index);
          if (!assembly) s.assemblies.set(claim.index, (assembly = new ResultAssembly()));
          let result: LoadResult;
          try {
            const encoded = assembly.add(message);
            if (encoded === undefined) return;
            result = decodeResult(encoded);
          } catch (err) {
            refuse(`result: ${(err as Error).message}`);
            return;
          }
          const mismatch = resultMismatch(result, grant, claim.index);
          if (mismatch) {
            refuse(`result of another run: ${mismatch}`);
            return;
          }
          // The first result stands: a runner sends one, and a second would replace a recorded one.
          if (!s.results.has(claim.index)) s.results.set(claim.index, result);
          send(ws, { type: 'ack' });
          this.options.onChange?.();
          break;
        }
        case 'failed':
          // The first reason stands, as the first result does.
          if (!s.failures.has(claim.index)) s.failures.set(claim.index, message.reason);
          send(ws, { type: 'ack' });
          this.options.onChange?.();
          break;
      }
    });
    ws.on('error', () => ws.close());
  }

  /** Sends the start time if the run's runners are all there (or one was agreed before). */
  maybeStart(job: string): void {
    const s = this.sessions.get(job);
    if (!s) return;
    const had = s.startAt;
    s.startAt = decideStart(new Set(s.sockets.keys()), this.options.expectedRunners(job), s.startAt, Date.now(), this.options.leadMs);
    if (s.startAt === undefined) return;
    for (const ws of s.sockets.values()) send(ws, { type: 'start', startAt: s.startAt });
    if (had === undefined) {
      this.options.log?.(`${job}: ${s.sockets.size} runner(s) start at ${new Date(s.startAt).toISOString()}`);
      this.options.onChange?.();
    }
  }

  /** Re-examines waiting runs (a Job became known). */
  poke(): void {
    for (const job of this.sessions.keys()) this.maybeStart(job);
  }

  startTimes(): Map<string, number> {
    return new Map([...this.sessions].flatMap(([job, s]) => (s.startAt === undefined ? [] : [[job, s.startAt] as const])));
  }

  results(): Map<string, Map<number, LoadResult>> {
    return new Map([...this.sessions].map(([job, s]) => [job, s.results] as const));
  }

  /** What a Job's failed runners said, by index (empty when none did). */
  failures(job: string): ReadonlyMap<number, string> {
    return this.sessions.get(job)?.failures ?? new Map();
  }

  progress(job: string): RunProgress | undefined {
    const s = this.sessions.get(job);
    return s && sumProgress(s.sockets.size, [...s.progress.values()]);
  }

  /** Drops a finished run's state (its results are recorded in the cluster by then). */
  forget(job: string): void {
    this.sessions.delete(job);
  }

  /** Drops the state of every run whose Job is gone (its Benchmark deleted, or the Job's TTL). */
  keepOnly(jobs: ReadonlySet<string>): void {
    for (const job of this.sessions.keys()) if (!jobs.has(job)) this.sessions.delete(job);
  }

  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}

function send(ws: WebSocket, message: ControllerMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
}
