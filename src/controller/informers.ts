/**
 * Informers that keep running: client-node's informer stops on any error but 410 Gone, so each
 * one is restarted with exponential backoff (immediate restarts have flooded API servers), and a
 * watchdog re-lists one that has been silent too long (watches have been seen to stall silently).
 */
import {
  makeInformer,
  type Informer,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
  type ObjectCache,
} from '@kubernetes/client-node';
import { describeError } from '../kube/kube.js';

export const BACKOFF_MIN_MS = 1_000;
export const BACKOFF_MAX_MS = 30_000;
/** A watch with no event for this long is restarted (a re-list; cheap for one namespace). */
export const WATCHDOG_SILENCE_MS = 5 * 60_000;

/** Next restart delay: doubles from BACKOFF_MIN_MS up to BACKOFF_MAX_MS. */
export function nextBackoffMs(previousMs: number | undefined): number {
  return previousMs === undefined ? BACKOFF_MIN_MS : Math.min(BACKOFF_MAX_MS, previousMs * 2);
}

export class SupervisedInformer<T extends KubernetesObject> {
  private readonly informer: Informer<T> & ObjectCache<T>;
  private backoffMs?: number;
  private lastEventAt = Date.now();
  private restartTimer?: NodeJS.Timeout;
  private stopped = false;
  /** Whether a list has succeeded. */
  synced = false;

  constructor(
    kc: KubeConfig,
    readonly path: string,
    list: () => Promise<KubernetesListObject<T>>,
    labelSelector: string | undefined,
    onChange: () => void,
    private readonly log: (line: string) => void,
  ) {
    // client-node emits `connect` before it lists, so success is known only from the list itself.
    const listed = async () => {
      const result = await list();
      this.synced = true;
      this.backoffMs = undefined;
      queueMicrotask(onChange);
      return result;
    };
    this.informer = makeInformer(kc, path, listed, labelSelector);
    const changed = () => {
      this.lastEventAt = Date.now();
      onChange();
    };
    this.informer.on('add', changed);
    this.informer.on('update', changed);
    this.informer.on('delete', changed);
    this.informer.on('connect', () => {
      this.lastEventAt = Date.now();
    });
    this.informer.on('error', (err: unknown) => {
      // Our own stop (the watchdog's, or stop()) aborts the watch: not a failure.
      if ((err as { name?: string })?.name === 'AbortError' || this.stopped) return;
      this.backoffMs = nextBackoffMs(this.backoffMs);
      this.log(`informer ${path}: ${describeError(err)}; restarting in ${this.backoffMs} ms`);
      this.scheduleRestart(this.backoffMs);
    });
  }

  private scheduleRestart(delayMs: number): void {
    if (this.stopped) return;
    clearTimeout(this.restartTimer);
    this.restartTimer = setTimeout(() => {
      this.lastEventAt = Date.now();
      this.informer.start().catch((err: unknown) => {
        this.backoffMs = nextBackoffMs(this.backoffMs);
        this.log(`informer ${this.path}: ${describeError(err)}; restarting in ${this.backoffMs} ms`);
        this.scheduleRestart(this.backoffMs);
      });
    }, delayMs);
  }

  start(): void {
    this.scheduleRestart(0);
  }

  /** Restarts the watch if it has been silent longer than `silenceMs`. */
  async watchdog(now = Date.now(), silenceMs = WATCHDOG_SILENCE_MS): Promise<void> {
    if (this.stopped || now - this.lastEventAt < silenceMs) return;
    this.log(`informer ${this.path}: silent for ${Math.round((now - this.lastEventAt) / 1000)} s; re-listing`);
    this.lastEventAt = now;
    await this.informer.stop();
    this.scheduleRestart(0);
  }

  list(): readonly T[] {
    return this.informer.list();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.restartTimer);
    await this.informer.stop();
  }
}
