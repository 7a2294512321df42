/**
 * Wakes an open-loop engine at each intended send time to within a fraction of a millisecond.
 *
 * Why a thread: Node's timers fire on whole milliseconds of the event loop's clock, so a request
 * due at x.3 ms goes out at about x+1 ms: against a fast server most of an open-loop latency was the
 * sender's own lag (issue 10: 0.86 ms p50 latency for 0.15 ms of service at 1,000 req/s). Spinning
 * the event loop until the due time would cost a core. A helper thread instead sleeps in
 * Atomics.wait (a futex with a sub-millisecond timeout) and wakes the engine's event loop with a
 * message, which interrupts its poll at once. The engine thread never blocks.
 *
 * The thread knows the schedule (request i is due at start + i * 1000 / rate, as in the engine), so
 * the engine only tells it, through shared memory, which request it sends next and whether it has
 * a free connection at all (no wake is any use without one): one futex wake and one message per
 * request, no call back and forth.
 */
import { Worker } from 'node:worker_threads';

// control: [STATE] 0 before the start, 1 running, -1 stopped; [NEXT] the engine's next request
// index; [FREE] 1 while the engine has a free connection. schedule: [0] start, in ms of
// process.hrtime (the one monotonic clock both threads read: performance.now() has an origin per
// thread), [1] the rate. The thread wakes the engine a few microseconds after a due time, never before.
const STATE = 0;
const NEXT = 1;
const FREE = 2;
const PACER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const control = new Int32Array(workerData.control);
const schedule = new Float64Array(workerData.schedule);
const now = () => {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
};
parentPort.postMessage(1); // ready
while (Atomics.load(control, ${STATE}) === 0) Atomics.wait(control, ${STATE}, 0);
const start = schedule[0];
const rate = schedule[1];
let index = 0;
while (Atomics.load(control, ${STATE}) === 1) {
  if (Atomics.load(control, ${FREE}) === 0) {
    Atomics.wait(control, ${FREE}, 0);
    continue;
  }
  index = Math.max(index, Atomics.load(control, ${NEXT}));
  const wait = start + (index * 1000) / rate + 0.002 - now();
  if (wait > 0) {
    Atomics.wait(control, ${FREE}, 1, wait);
    continue;
  }
  parentPort.postMessage(0);
  index++;
}
`;

export class Pacer {
  private readonly control = new Int32Array(new SharedArrayBuffer(3 * Int32Array.BYTES_PER_ELEMENT));
  private readonly schedule = new Float64Array(new SharedArrayBuffer(2 * Float64Array.BYTES_PER_ELEMENT));
  private readonly worker: Worker;
  /** Resolves once the thread runs (starting one can take 100s of ms on a busy machine). */
  readonly ready: Promise<void>;

  constructor(onWake: () => void) {
    this.worker = new Worker(PACER_SOURCE, { eval: true, workerData: { control: this.control.buffer, schedule: this.schedule.buffer } });
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (message: number) => {
        if (message === 0) {
          onWake();
        } else {
          this.worker.unref(); // from here on the engine's sockets and timers keep the process alive
          resolve();
        }
      });
      this.worker.once('error', reject);
    });
  }

  /** Starts waking for request 0 at `startsAt` (this thread's performance.now() ms), then one per 1/rate s. */
  start(startsAt: number, rate: number): void {
    const [s, ns] = process.hrtime();
    this.schedule[0] = s * 1e3 + ns / 1e6 - (performance.now() - startsAt);
    this.schedule[1] = rate;
    Atomics.store(this.control, STATE, 1);
    Atomics.notify(this.control, STATE);
  }

  /** The engine sends request `index` next (earlier ones were sent, timed out or dropped). */
  follow(index: number): void {
    Atomics.store(this.control, NEXT, index);
  }

  /** Whether the engine has a free connection: without one, no wake is of use. */
  setFree(free: boolean): void {
    const value = free ? 1 : 0;
    if (Atomics.exchange(this.control, FREE, value) !== value) Atomics.notify(this.control, FREE);
  }

  /** No more wakes. */
  stop(): void {
    Atomics.store(this.control, STATE, -1);
    Atomics.notify(this.control, STATE);
    Atomics.store(this.control, FREE, 1);
    Atomics.notify(this.control, FREE);
  }

  async close(): Promise<void> {
    this.stop();
    await this.worker.terminate();
  }
}
