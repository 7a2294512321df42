/**
 * One thread's share of a load: N connections over raw `net.Socket`s, one request in flight each,
 * paced closed loop (send the next request when the last one answered) or open loop (a constant
 * arrival rate, latency timed from each request's intended send time).
 *
 * The hot path (a read, the parse, one histogram record, the next write) allocates nothing it
 * can avoid: one pre-encoded request Buffer shared by every connection, one read buffer shared by
 * every socket (reads are consumed synchronously), writes straight to the socket's handle
 * (handle-write.ts), no closures or promises per request, one clock read per response, timeouts
 * found by a periodic sweep instead of a timer per request.
 */
import { lookup } from 'node:dns/promises';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { writeToSocket } from './handle-write.js';
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

/**
 * An open-loop request sent this much later than its intended time counts as a late send: no
 * connection was free, or the generator itself fell behind (timers fire within about 1 ms).
 */
export const LATE_SEND_MS = 2;
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
  /** When the current request should have been sent (open loop) or was sent (closed loop). */
  intendedAt = 0;
  sentAt = 0;
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
  private readonly intervalMs: number;

  // The run's clock, in performance.now() ms.
  private warmupEndsAt = 0;
  private endsAt = 0;
  private nextIntendedAt = 0;
  private inFlight = 0;
  private draining = false;
  private finished = false;
  private abortRequested = false;
  private outOfFiles: string | null = null;
  private startedEpochMs = 0;

  // Measured results.
  private readonly errors = [0, 0, 0, 0, 0];
  private lateSends = 0;
  private readonly total: Histogram;
  private readonly second: Histogram;
  private readonly service: Histogram | null;
  private secondIndex = 0;
  private secondEndsAt = 0;
  private lastSecondIndex = 0;
  private secondRequests = 0;
  private secondErrors = 0;
  private readonly timeline: TimelinePoint[] = [];
  /** Every response and error including the warmup, for progress reports. */
  private responses = 0;
  private errorCount = 0;

  private tickTimer: NodeJS.Timeout | null = null;
  private sweepTimer: NodeJS.Timeout | null = null;
  private endTimer: NodeJS.Timeout | null = null;
  private finish: () => void = () => {};

  constructor(private readonly options: EngineOptions) {
    this.url = new URL(options.url);
    this.host = this.url.hostname.replace(/^\[(.*)\]$/, '$1');
    this.port = this.url.port === '' ? 80 : Number(this.url.port);
    this.request = encodeRequest(this.url, options.keepAlive);
    this.open = options.rate !== null;
    this.intervalMs = options.rate === null ? 0 : 1000 / options.rate;
    for (let i = 0; i < options.connections; i++) this.connections.push(new Connection(this, this.backends));
    this.total = createRecordingHistogram();
    this.second = createRecordingHistogram();
    this.service = this.open ? createRecordingHistogram() : null;
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
        throw new Error(`the load generator ran out of open files (${this.outOfFiles}): its own limit (ulimit -n), not the server's; raise it or use fewer connections`);
      }
      return this.result(synchronized ? Math.round((this.startedEpochMs - startAt) * 10) / 10 : 0);
    } finally {
      this.total.destroy();
      this.second.destroy();
      this.service?.destroy();
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
    this.lastSecondIndex = Math.max(this.secondIndex, Math.ceil((this.endsAt - this.warmupEndsAt) / 1000) - 1);
    this.onEnd();
  }

  private start(): void {
    const now = performance.now();
    this.warmupEndsAt = now + this.options.warmupMs;
    this.endsAt = this.warmupEndsAt + this.options.durationMs;
    this.lastSecondIndex = Math.max(0, Math.ceil(this.options.durationMs / 1000) - 1);
    this.secondEndsAt = this.lastSecondIndex === 0 ? Infinity : this.warmupEndsAt + 1000;
    const sweepMs = Math.max(10, Math.min(100, this.options.timeoutMs / 10));
    this.sweepTimer = setInterval(() => this.sweep(), sweepMs);
    this.endTimer = setTimeout(() => this.onEnd(), this.endsAt - now);
    if (this.open) {
      this.nextIntendedAt = now;
      for (let i = this.connections.length - 1; i >= 0; i--) this.idle.push(this.connections[i]);
      this.tick();
    } else {
      for (const conn of this.connections) this.issue(conn, now, now);
    }
  }

  private readonly tick = (): void => {
    this.tickTimer = null;
    const now = performance.now();
    while (this.nextIntendedAt <= now && this.nextIntendedAt < this.endsAt && this.idle.length > 0) {
      const conn = this.idle.pop() as Connection;
      this.issue(conn, this.nextIntendedAt, now);
      this.nextIntendedAt += this.intervalMs;
    }
    this.scheduleTick(now);
  };

  /** Open loop: wake up for the next intended send, unless no connection could take it anyway. */
  private scheduleTick(now: number): void {
    if (this.tickTimer !== null || this.finished || this.nextIntendedAt >= this.endsAt) return;
    if (this.idle.length === 0 && this.nextIntendedAt <= now) return; // the next response dispatches
    this.tickTimer = setTimeout(this.tick, Math.max(0, this.nextIntendedAt - now));
  }

  private issue(conn: Connection, intendedAt: number, now: number): void {
    conn.intendedAt = intendedAt;
    conn.sentAt = now;
    conn.measured = intendedAt >= this.warmupEndsAt && intendedAt < this.endsAt;
    if (conn.measured && now - intendedAt > LATE_SEND_MS) this.lateSends++;
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
    conn.state = IDLE;
    this.inFlight--;
    this.responses++;
    const parser = conn.parser;
    if (conn.measured) {
      if (now >= this.secondEndsAt) this.rollSeconds(now);
      this.second.recordValue(Math.min(Math.round((now - conn.intendedAt) * 1000), MAX_RECORDABLE_US));
      if (this.service !== null) {
        this.service.recordValue(Math.min(Math.round((now - conn.sentAt) * 1000), MAX_RECORDABLE_US));
      }
      this.secondRequests++;
      const status = parser.status;
      if (status >= 400) {
        this.errors[status >= 500 ? STATUS_5XX : STATUS_4XX]++;
        this.secondErrors++;
      }
      if (parser.backend >= 0) this.backends.counts[parser.backend]++;
    }
    if (outOfStep || parser.closeAfter || !this.options.keepAlive) this.dropSocket(conn);
    this.next(conn, now);
  }

  private fail(conn: Connection, errorClass: number, now: number): void {
    conn.state = IDLE;
    this.inFlight--;
    this.errorCount++;
    if (conn.measured) {
      if (now >= this.secondEndsAt) this.rollSeconds(now);
      this.errors[errorClass]++;
      this.secondErrors++;
    }
    this.dropSocket(conn);
    this.next(conn, now);
  }

  /** conn is free: give it the next request, or park it. */
  private next(conn: Connection, now: number): void {
    if (this.open) {
      if (this.nextIntendedAt <= now && this.nextIntendedAt < this.endsAt) {
        const intendedAt = this.nextIntendedAt;
        this.nextIntendedAt += this.intervalMs;
        this.issue(conn, intendedAt, now);
        return;
      }
      this.idle.push(conn);
      this.scheduleTick(now);
    } else if (now < this.endsAt && !this.draining) {
      this.issue(conn, now, now);
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
    const timeoutMs = this.options.timeoutMs;
    for (const conn of this.connections) {
      if (conn.state === IN_FLIGHT && now - conn.sentAt >= timeoutMs) {
        this.fail(conn, conn.connected ? TIMEOUT : CONNECT, now);
      }
    }
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
    if (this.inFlight === 0 && (!this.open || this.nextIntendedAt >= this.endsAt)) this.end();
  }

  private end(): void {
    if (this.finished) return;
    // Open loop: requests intended before the end that never got a connection, and requests
    // still in flight at the drain's deadline, waited longer than the timeout.
    let unanswered = this.inFlight;
    if (this.open && this.nextIntendedAt < this.endsAt) {
      unanswered += Math.ceil((this.endsAt - this.nextIntendedAt) / this.intervalMs);
    }
    for (const conn of this.connections) {
      if (conn.state === IN_FLIGHT && !conn.measured) unanswered--;
    }
    if (unanswered > 0) {
      this.errors[TIMEOUT] += unanswered;
      this.secondErrors += unanswered;
    }
    this.finished = true;
    for (const timer of [this.tickTimer, this.sweepTimer, this.endTimer]) {
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
    const requests = this.total.totalCount;
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
      requests,
      throughputRps: measuredMs === 0 ? 0 : Math.round((requests / measuredMs) * 1000 * 10) / 10,
      latencyUs: summarizeHistogram(this.total),
      ...(this.service === null ? {} : { serviceTimeUs: summarizeHistogram(this.service), serviceHistogram: encodeHistogram(this.service) }),
      errors,
      backends,
      timeline: this.timeline,
      histogram: encodeHistogram(this.total),
      ...(this.open ? { lateSends: this.lateSends } : {}),
    };
  }
}
