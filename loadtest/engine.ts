/**
 * One thread's share of a load: N connections over raw `net.Socket`s, one request in flight each,
 * paced closed loop (send the next request when the last one answered) or open loop (a constant
 * arrival rate, latency timed from each request's intended send time).
 *
 * The hot path (a read, the parse, one histogram record, the next write) allocates nothing it
 * can avoid: one pre-encoded request Buffer shared by every connection, one read buffer shared by
 * every socket (reads are consumed synchronously), writes straight to the socket's handle
 * (handle-write.ts), no closures or promises per request, one clock read per response, timeouts
 * found by a periodic sweep instead of a timer per request. Open loop sends are woken by a pacer
 * thread (pacer.ts), to well under Node's millisecond timer granularity.
 *
 * Open loop: request i is due at start + i * 1000 / rate (from its index, so no drift). A due
 * request waits for a free connection; one that waited a whole timeout is a timeout, never sent.
 * The window is judged on its own requests: the warmup's unsent backlog is dropped when the window
 * opens, nothing is sent once it closes (what is still waiting then is `notSent`), and throughput
 * counts only successful responses that arrived inside it.
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeToSocket } from './handle-write.js';
import { Pacer } from './pacer.js';
import { createRecordingHistogram, encodeHistogram, type Histogram, MAX_RECORDABLE_US, summarizeHistogram } from './histogram.js';
import { BackendTable, NEED_MORE, PROTOCOL_ERROR, ResponseParser } from './response-parser.js';
import { LOAD_RESULT_SCHEMA, type ErrorCounts, type LoadResult, type TimelinePoint } from './types.js';

/** What one engine runs: its share of the connections and of the rate. */
export interface EngineOptions {
  readonly url: string;
  readonly connections: number;
  /** Open loop: this engine's requests per second; null for closed loop. */
  readonly rate: number | null;
  readonly durationMs: number;
  readonly warmupMs: number;
  readonly timeoutMs: number;
  readonly keepAlive: boolean;
  readonly topology: string;
  readonly trial: number;
  readonly runner: number;
  /** Where the engine publishes [responses, errors] (warmup included) for progress reports. */
  readonly progress?: Float64Array;
  /** Slot of this engine in `progress` (it writes progress[2 * slot] and progress[2 * slot + 1]). */
  readonly progressSlot?: number;
}

/** Shared by every socket of an engine; larger responses just take several reads. */
const READ_BUFFER_BYTES = 64 * 1024;

// Connection states.
const IDLE = 0;
const IN_FLIGHT = 1;

// Error classes, indexes into Engine.errors.
const CONNECT = 0;
const TIMEOUT = 1;
const RESET = 2;
const STATUS_4XX = 3;
const STATUS_5XX = 4;

interface EngineSocket extends net.Socket {
  loadConnection: Connection;
}

class Connection {
  socket: EngineSocket | null = null;
  /**
   * The onread callback of this connection's sockets: a closure per connection (not per request),
   * so that the hot path needs no property lookup on the socket. `this` is the socket that read.
   */
  readonly onRead: (this: net.Socket, nread: number, buf: Buffer) => void;
  state = IDLE;
  /** The TCP connection of the current socket is established. */
  connected = false;
  /** When the current request should have been sent (open loop) or was sent (closed loop); its
   * timeout runs from here. */
  intendedAt = 0;
  sentAt = 0;
  /** Open loop: when this connection last became free (its idle wait is not the sender's lag). */
  freeAt = 0;
  /** The current request falls in the measured window. */
  measured = false;
  readonly parser: ResponseParser;

  constructor(
    readonly engine: Engine,
    backends: BackendTable,
  ) {
    this.parser = new ResponseParser(backends);
    // The read callback's `this` is the socket; the connection is reached by name.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const conn = this;
    this.onRead = function onSocketRead(this: net.Socket, nread: number, buf: Buffer): void {
      if (conn.socket === this) engine.onData(conn, buf, nread);
    };
  }
}

function onSocketConnect(this: EngineSocket): void {
  const conn = this.loadConnection;
  if (conn.socket === this) conn.connected = true;
}

function onSocketError(this: EngineSocket, err: NodeJS.ErrnoException): void {
  const conn = this.loadConnection;
  // The client's own open-files limit is not the server's failure: the run stops and says so.
  if (err.code === 'EMFILE' || err.code === 'ENFILE') conn.engine.onOutOfFiles(err.code);
  if (conn.socket === this) conn.engine.onSocketFailure(conn);
}

function onSocketClose(this: EngineSocket): void {
  const conn = this.loadConnection;
  if (conn.socket === this) conn.engine.onSocketClose(conn);
}

/** The one request every connection sends: a GET of the URL's path, pre-encoded once. */
export function encodeRequest(url: URL, keepAlive: boolean): Buffer {
  // Only what HTTP/1.1 requires, as wrk sends: the server parses (Go: stores in a map) every further
  // header of every request; User-Agent and Accept cost the hello server about 1.2 us of CPU each time.
  const lines = [`GET ${url.pathname}${url.search} HTTP/1.1`, `Host: ${url.host}`];
  if (!keepAlive) lines.push('Connection: close');
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
}

export class Engine {
  private readonly url: URL;
  private host: string;
  private readonly port: number;
  private readonly request: Buffer;
  private readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER_BYTES);
  private readonly backends = new BackendTable();
  private readonly connections: Connection[] = [];
  private readonly idle: Connection[] = [];
  private readonly open: boolean;
  private readonly rate: number;

  // The run's clock, in performance.now() ms.
  private startsAt = 0;
  private warmupEndsAt = 0;
  private endsAt = 0;
  private inFlight = 0;
  // Open loop, by request index: the next one to send, the first and the end of the window's.
  private nextIndex = 0;
  private firstMeasuredIndex = 0;
  private endIndex = 0;
  private draining = false;
  private finished = false;
  private abortRequested = false;
  private outOfFiles: string | null = null;
  private startedEpochMs = 0;

  // Measured results.
  private readonly errors = [0, 0, 0, 0, 0];
  private sent = 0;
  private notSent = 0;
  /** Successful responses that arrived inside the window: the throughput. */
  private inWindow = 0;
  private readonly total: Histogram;
  private readonly second: Histogram;
  private readonly service: Histogram | null;
  private readonly sendLag: Histogram | null;
  private secondIndex = 0;
  private secondEndsAt = 0;
  private lastSecondIndex = 0;
  private secondRequests = 0;
  private secondErrors = 0;
  private readonly timeline: TimelinePoint[] = [];
  /** Every response and error including the warmup, for progress reports. */
  private responses = 0;
  private errorCount = 0;

  /** Open loop: wakes tick() at the next intended send time (pacer.ts). */
  private pacer: Pacer | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private sweepEveryMs = 0;
  private lastSweepAt = 0;
  /** The longest time the event loop did not run a due sweep: the generator's own stall. */
  private stallMs = 0;
  private endTimer: NodeJS.Timeout | null = null;
  private finish: () => void = () => {};

  constructor(private readonly options: EngineOptions) {
    this.url = new URL(options.url);
    this.host = this.url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = this.url.port === '' ? 80 : Number(this.url.port);
    this.request = encodeRequest(this.url, options.keepAlive);
    this.open = options.rate !== null;
    this.rate = options.rate ?? 0;
    for (let i = 0; i < options.connections; i++) this.connections.push(new Connection(this, this.backends));
    this.total = createRecordingHistogram();
    this.second = createRecordingHistogram();
    this.service = this.open ? createRecordingHistogram() : null;
    this.sendLag = this.open ? createRecordingHistogram() : null;
    if (this.open) this.pacer = new Pacer(this.tick);
  }

  /** Resolves once the engine can start on time (its pacer thread runs). */
  get ready(): Promise<void> {
    return this.pacer === null ? Promise.resolve() : this.pacer.ready;
  }

  /**
   * Runs the load from `startAt` (epoch ms; the warmup begins then) to its end, or until abort(),
   * and returns this engine's result. `synchronized`: startAt was agreed with other runners, so
   * the result reports how late this one started.
   */
  async run(startAt: number, synchronized: boolean): Promise<LoadResult> {
    // Resolve once, so that a connection per request does not mean a DNS lookup per request;
    // a name that does not resolve is left to fail every connect (counted as connect errors).
    if (net.isIP(this.host) === 0) {
      try {
        this.host = (await lookup(this.host)).address;
      } catch {
        // counted per connection attempt
      }
    }
    const wait = startAt - Date.now();
    if (wait > 0) await sleep(wait);
    this.startedEpochMs = Date.now();
    if (this.abortRequested) {
      this.finished = true; // aborted before the start: nothing measured
    } else {
      const done = new Promise<void>((resolve) => {
        this.finish = resolve;
      });
      this.start();
      await done;
    }
    try {
      if (this.outOfFiles !== null) {
        throw new Error(
          `the load generator ran out of open files (${this.outOfFiles}): its own limit (ulimit -n), not the server's; raise it or use fewer connections`,
        );
      }
      return this.result(synchronized ? Math.round((this.startedEpochMs - startAt) * 10) / 10 : 0);
    } finally {
      await this.pacer?.close();
      this.total.destroy();
      this.second.destroy();
      this.service?.destroy();
      this.sendLag?.destroy();
    }
  }

  /** A socket could not be opened for lack of file descriptors: end the run, which then fails. */
  onOutOfFiles(code: string): void {
    this.outOfFiles ??= code;
    this.abort();
  }

  /** Ends the measured window now; in-flight requests still complete (bounded by the timeout). */
  abort(): void {
    this.abortRequested = true;
    if (this.finished || this.draining || this.endsAt === 0) return; // not started, or ending anyway
    const now = performance.now();
    this.endsAt = Math.min(this.endsAt, now);
    this.warmupEndsAt = Math.min(this.warmupEndsAt, this.endsAt);
    if (this.open) {
      this.endIndex = this.firstIndexAt(this.endsAt - this.startsAt);
      this.firstMeasuredIndex = Math.min(this.firstMeasuredIndex, this.endIndex);
    }
    this.lastSecondIndex = Math.max(this.secondIndex, Math.ceil((this.endsAt - this.warmupEndsAt) / 1000) - 1);
    this.onEnd();
  }

  /** Open loop: when request `index` is due (from its index: no accumulated rounding). */
  private intendedAt(index: number): number {
    return this.startsAt + (index * 1000) / this.rate;
  }

  /** Open loop: the first request index due at or after `offsetMs` into the run. */
  private firstIndexAt(offsetMs: number): number {
    let index = Math.max(0, Math.ceil((offsetMs * this.rate) / 1000));
    while (index > 0 && ((index - 1) * 1000) / this.rate >= offsetMs) index--;
    while ((index * 1000) / this.rate < offsetMs) index++;
    return index;
  }

  private start(): void {
    const now = performance.now();
    const o = this.options;
    this.startsAt = now;
    this.warmupEndsAt = now + o.warmupMs;
    this.endsAt = this.warmupEndsAt + o.durationMs;
    this.lastSecondIndex = Math.max(0, Math.ceil(o.durationMs / 1000) - 1);
    this.secondEndsAt = this.lastSecondIndex === 0 ? Infinity : this.warmupEndsAt + 1000;
    // Timeouts are found within max(10 ms, 1% of the timeout): a sweep twice as often, as the timer
    // itself fires late on a busy machine.
    this.sweepEveryMs = Math.max(10, o.timeoutMs / 100) / 2;
    this.lastSweepAt = now;
    this.sweepTimer = setInterval(() => this.sweep(), this.sweepEveryMs);
    this.endTimer = setTimeout(() => this.onEnd(), this.endsAt - now);
    if (this.open) {
      this.firstMeasuredIndex = this.firstIndexAt(o.warmupMs);
      this.endIndex = this.firstIndexAt(o.warmupMs + o.durationMs);
      for (let i = this.connections.length - 1; i >= 0; i--) {
        this.connections[i].freeAt = now;
        this.idle.push(this.connections[i]);
      }
      this.pacer?.setFree(true);
      this.pacer?.start(now, this.rate);
      this.tick();
    } else {
      for (const conn of this.connections) this.issue(conn, now, now, o.warmupMs === 0);
    }
  }

  private readonly tick = (): void => {
    const now = performance.now();
    this.dispatch(now, now);
  };

  /** Open loop: sends what is due by `dueBy` on the free connections. */
  private dispatch(dueBy: number, now: number): void {
    while (this.idle.length > 0) {
      const index = this.takeDue(dueBy);
      if (index < 0) return;
      this.issue(this.idle.pop() as Connection, this.intendedAt(index), now, index >= this.firstMeasuredIndex);
    }
    this.pacer?.setFree(false);
  }

  /**
   * Open loop: the index of the next request due by `now` that may still be sent, or -1. Drops
   * the warmup's backlog once the window is open and times out requests that waited too long.
   */
  private takeDue(now: number): number {
    if (now >= this.endsAt) return -1; // nothing is sent after the window
    let index = this.nextIndex;
    if (index < this.firstMeasuredIndex && now >= this.warmupEndsAt) index = this.firstMeasuredIndex;
    if (index >= this.endIndex) return -1;
    const intendedAt = this.intendedAt(index);
    if (now - intendedAt >= this.options.timeoutMs) {
      index = this.expireWaiting(index, now);
      if (index >= this.endIndex || this.intendedAt(index) > now) {
        this.nextIndex = index;
        return -1;
      }
    } else if (intendedAt > now) {
      this.nextIndex = index;
      return -1;
    }
    this.nextIndex = index + 1;
    this.pacer?.follow(index + 1);
    return index;
  }

  /** Requests from `index` on that waited a whole timeout for a connection time out unsent. */
  private expireWaiting(index: number, now: number): number {
    const first = Math.min(this.endIndex, Math.max(index, this.firstIndexAt(now - this.options.timeoutMs - this.startsAt + 1e-9)));
    const measured = Math.max(0, Math.min(first, this.endIndex) - Math.max(index, this.firstMeasuredIndex));
    this.errorCount += first - index;
    if (measured > 0) {
      if (now >= this.secondEndsAt) this.rollSeconds(now);
      this.errors[TIMEOUT] += measured;
      this.secondErrors += measured;
    }
    return first;
  }

  private issue(conn: Connection, intendedAt: number, now: number, measured: boolean): void {
    conn.intendedAt = intendedAt;
    conn.sentAt = now;
    conn.measured = measured;
    if (measured) {
      this.sent++;
      // The sender's own lag: from when the request could have gone (due, and a connection free).
      if (this.sendLag !== null) {
        this.sendLag.recordValue(Math.round((now - (conn.freeAt > intendedAt ? conn.freeAt : intendedAt)) * 1000));
      }
    }
    conn.state = IN_FLIGHT;
    this.inFlight++;
    const socket = conn.socket ?? this.connect(conn);
    writeToSocket(socket, this.request);
  }

  private connect(conn: Connection): EngineSocket {
    const socket = net.connect({
      host: this.host,
      port: this.port,
      noDelay: true,
      onread: { buffer: this.readBuffer, callback: conn.onRead as (n: number, b: Buffer) => boolean },
    }) as EngineSocket;
    socket.loadConnection = conn;
    socket.on('connect', onSocketConnect);
    socket.on('error', onSocketError);
    socket.on('close', onSocketClose);
    conn.socket = socket;
    conn.connected = false;
    conn.parser.reset();
    return socket;
  }

  /** A read arrived on conn's socket. */
  onData(conn: Connection, buf: Buffer, nread: number): void {
    if (conn.state !== IN_FLIGHT) {
      this.dropSocket(conn); // bytes nobody asked for: the connection is out of step
      return;
    }
    const end = conn.parser.feed(buf, 0, nread);
    if (end === NEED_MORE) return;
    const now = performance.now();
    if (end === PROTOCOL_ERROR) {
      this.fail(conn, RESET, now);
      return;
    }
    this.complete(conn, now, end !== nread);
  }

  onSocketFailure(conn: Connection): void {
    if (conn.state === IN_FLIGHT) this.fail(conn, conn.connected ? RESET : CONNECT, performance.now());
    else this.dropSocket(conn); // an idle keep-alive connection went away: no request lost
  }

  onSocketClose(conn: Connection): void {
    if (conn.state !== IN_FLIGHT) {
      this.dropSocket(conn);
    } else if (conn.parser.finishAtClose()) {
      this.complete(conn, performance.now(), false);
    } else {
      this.fail(conn, conn.connected ? RESET : CONNECT, performance.now());
    }
  }

  private complete(conn: Connection, now: number, outOfStep: boolean): void {
    if (now - conn.intendedAt > this.options.timeoutMs) {
      // Later than its timeout (the sweep had not caught it yet): a timeout, never a success.
      if (outOfStep || conn.parser.closeAfter || !this.options.keepAlive) this.dropSocket(conn);
      this.countFailure(conn, TIMEOUT, now);
      return;
    }
    conn.state = IDLE;
    this.inFlight--;
    this.responses++;
    const parser = conn.parser;
    if (conn.measured) {
      if (now >= this.secondEndsAt) this.rollSeconds(now);
      const status = parser.status;
      if (status >= 400) {
        this.errors[status >= 500 ? STATUS_5XX : STATUS_4XX]++;
        this.secondErrors++;
      } else {
        this.second.recordValue(Math.min(Math.round((now - conn.intendedAt) * 1000), MAX_RECORDABLE_US));
        if (this.service !== null) {
          this.service.recordValue(Math.min(Math.round((now - conn.sentAt) * 1000), MAX_RECORDABLE_US));
        }
        if (now < this.endsAt) {
          this.inWindow++;
          this.secondRequests++;
        }
      }
      if (parser.backend >= 0) this.backends.counts[parser.backend]++;
    }
    if (outOfStep || parser.closeAfter || !this.options.keepAlive) this.dropSocket(conn);
    this.next(conn, now);
  }

  private fail(conn: Connection, errorClass: number, now: number): void {
    this.dropSocket(conn);
    this.countFailure(conn, errorClass, now);
  }

  private countFailure(conn: Connection, errorClass: number, now: number): void {
    conn.state = IDLE;
    this.inFlight--;
    this.errorCount++;
    if (conn.measured) {
      if (now >= this.secondEndsAt) this.rollSeconds(now);
      this.errors[errorClass]++;
      this.secondErrors++;
    }
    this.next(conn, now);
  }

  /** conn is free: give it the next request, or park it. */
  private next(conn: Connection, now: number): void {
    if (this.open) {
      const index = this.takeDue(now);
      if (index >= 0) {
        conn.freeAt = now;
        this.issue(conn, this.intendedAt(index), now, index >= this.firstMeasuredIndex);
        return;
      }
      conn.freeAt = now;
      this.idle.push(conn);
      if (this.idle.length === 1) this.pacer?.setFree(true);
    } else if (now < this.endsAt && !this.draining) {
      this.issue(conn, now, now, now >= this.warmupEndsAt);
      return;
    }
    if (this.draining && this.inFlight === 0) this.end();
  }

  private dropSocket(conn: Connection): void {
    const socket = conn.socket;
    conn.socket = null;
    conn.connected = false;
    conn.parser.reset();
    if (socket !== null) socket.destroy();
  }

  /** Times out stuck requests, closes finished seconds, publishes progress. */
  private sweep(): void {
    const now = performance.now();
    // A late sweep means this process did not run (starved CPU, a GC pause, SIGSTOP): answers that
    // arrived meanwhile are read only now, so timeouts found now may be the generator's own.
    this.stallMs = Math.max(this.stallMs, now - this.lastSweepAt - this.sweepEveryMs);
    this.lastSweepAt = now;
    const timeoutMs = this.options.timeoutMs;
    for (const conn of this.connections) {
      if (conn.state === IN_FLIGHT && now - conn.intendedAt >= timeoutMs) {
        this.fail(conn, conn.connected ? TIMEOUT : CONNECT, now);
      }
    }
    // Requests still waiting for a connection time out too.
    if (this.open && !this.draining && this.idle.length === 0)
      this.nextIndex = this.expireWaiting(this.nextIndex, Math.min(now, this.endsAt));
    if (now >= this.secondEndsAt) this.rollSeconds(now);
    const progress = this.options.progress;
    if (progress !== undefined) {
      const slot = 2 * (this.options.progressSlot ?? 0);
      progress[slot] = this.responses;
      progress[slot + 1] = this.errorCount;
    }
    // A drain is bounded: whatever has not answered a timeout after the end has timed out.
    if (this.draining && !this.finished && now >= this.endsAt + timeoutMs + 1000) this.end();
  }

  /** Closes every finished second of the timeline up to `now` (the last second stays open). */
  private rollSeconds(now: number): void {
    while (now >= this.secondEndsAt && this.secondIndex < this.lastSecondIndex) {
      this.closeSecond();
      this.secondIndex++;
      this.secondEndsAt += 1000;
    }
    if (this.secondIndex === this.lastSecondIndex) this.secondEndsAt = Infinity;
  }

  private closeSecond(): void {
    const count = this.second.totalCount;
    this.timeline.push({
      t: this.secondIndex + 1,
      rps: this.secondRequests,
      p99Us: count === 0 ? 0 : this.second.getValueAtPercentile(99),
      errors: this.secondErrors,
      ...(count === 0 ? {} : { histogram: encodeHistogram(this.second) }),
    });
    if (count > 0) {
      this.total.add(this.second);
      this.second.reset();
    }
    this.secondRequests = 0;
    this.secondErrors = 0;
  }

  private onEnd(): void {
    if (this.draining) return;
    this.draining = true;
    if (this.endTimer !== null) clearTimeout(this.endTimer);
    this.pacer?.stop();
    if (this.open) {
      const now = performance.now();
      // Requests due before the end that found a connection free were held up only by the timer
      // that was to send them (the send lag records it): they go.
      this.dispatch(Math.min(now, this.endsAt - 1e-6), now);
      // The backlog at the end: due in the window, neither sent nor timed out when it closed.
      let index = Math.max(this.nextIndex, this.firstMeasuredIndex);
      if (index < this.endIndex && this.endsAt - this.intendedAt(index) >= this.options.timeoutMs)
        index = this.expireWaiting(index, this.endsAt);
      this.notSent = Math.max(0, this.endIndex - index);
      this.nextIndex = this.endIndex;
    }
    if (this.inFlight === 0) this.end();
  }

  private end(): void {
    if (this.finished) return;
    // Requests still in flight at the drain's deadline waited longer than the timeout.
    let unanswered = 0;
    for (const conn of this.connections) {
      if (conn.state === IN_FLIGHT && conn.measured) unanswered++;
    }
    if (unanswered > 0) {
      this.errors[TIMEOUT] += unanswered;
      this.secondErrors += unanswered;
    }
    this.finished = true;
    for (const timer of [this.sweepTimer, this.endTimer]) {
      if (timer !== null) clearTimeout(timer);
    }
    for (const conn of this.connections) {
      conn.state = IDLE;
      this.dropSocket(conn);
    }
    this.finish();
  }

  private result(startSkewMs: number): LoadResult {
    // The planned duration, unless aborted (computed, it could come out as 499.99999 for 500).
    const measuredMs = this.abortRequested ? Math.round(Math.max(0, this.endsAt - this.warmupEndsAt)) : this.options.durationMs;
    const seconds = Math.ceil(measuredMs / 1000);
    this.lastSecondIndex = Math.min(this.lastSecondIndex, Math.max(0, seconds - 1));
    this.rollSeconds(Infinity);
    if (seconds > 0) this.closeSecond();
    const perSecond = (n: number) => (measuredMs === 0 ? 0 : Math.round((n / measuredMs) * 1000 * 10) / 10);
    const errors: ErrorCounts = {
      connect: this.errors[CONNECT],
      timeout: this.errors[TIMEOUT],
      reset: this.errors[RESET],
      status4xx: this.errors[STATUS_4XX],
      status5xx: this.errors[STATUS_5XX],
    };
    const backends: Record<string, number> = {};
    this.backends.names.forEach((name, i) => {
      if (this.backends.counts[i] > 0) backends[name] = this.backends.counts[i];
    });
    const o = this.options;
    return {
      schema: LOAD_RESULT_SCHEMA,
      topology: o.topology,
      trial: o.trial,
      runner: o.runner,
      target: o.url,
      mode: this.open ? 'open' : 'closed',
      connections: o.connections,
      rate: o.rate,
      durationMs: measuredMs,
      warmupMs: o.warmupMs,
      startedAt: new Date(this.startedEpochMs + o.warmupMs).toISOString(),
      startSkewMs,
      due: this.open ? this.endIndex - this.firstMeasuredIndex : this.sent,
      sent: this.sent,
      notSent: this.notSent,
      requests: this.total.totalCount,
      throughputRps: perSecond(this.inWindow),
      errorRps: perSecond(this.errors.reduce((a, b) => a + b, 0)),
      latencyUs: summarizeHistogram(this.total),
      ...(this.service === null
        ? {}
        : { serviceTimeUs: summarizeHistogram(this.service), serviceHistogram: encodeHistogram(this.service) }),
      errors,
      backends,
      timeline: this.timeline,
      histogram: encodeHistogram(this.total),
      ...(this.sendLag === null ? {} : { sendLagUs: summarizeHistogram(this.sendLag), sendLagHistogram: encodeHistogram(this.sendLag) }),
      clientStallMs: Math.round(this.stallMs),
    };
  }
}
