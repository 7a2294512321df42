/**
 * Re-resolution for an nginx older than 1.27.3, which has no `server ... resolve`: it resolves
 * its upstream names only when it loads its config, so a replaced hello pod (a redeploy, a
 * failover drill) would never be reached again. This runs beside nginx in its pod (the `reresolver`
 * container of NginxBalancer, one process namespace, nginx's user): it looks the headless Service
 * up every second and, when the set of addresses changes, reloads nginx (SIGHUP to the master,
 * whose new workers resolve again; the old ones finish the requests they hold). A reload keeps
 * the upstream block, so keep-alive to the servers stays as measured everywhere else; a `proxy_pass`
 * with a variable would re-resolve per request but loses upstream keep-alive.
 *
 *   node build/src/nginx/reresolve.js --host NAME --pid-file FILE [--interval 1000]
 */
import { Resolver } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

export interface ReresolveOptions {
  /** The name nginx's upstream block holds, e.g. `hello-headless.clusterbench.svc.cluster.local`. */
  readonly host: string;
  /** nginx's pid file (its `pid` directive), in a folder both containers mount. */
  readonly pidFile: string;
  /** Time between lookups, ms. */
  readonly intervalMs: number;
  /** The host's IPv4 addresses, as DNS answers now. */
  readonly resolve: (host: string) => Promise<string[]>;
  /** Asks the process to reload (SIGHUP). @default process.kill(pid, 'SIGHUP') */
  readonly reload?: (pid: number) => void;
  readonly log: (line: string) => void;
  readonly signal: AbortSignal;
}

/**
 * Reloads nginx once it runs, then each time the host's addresses differ from those it loaded,
 * until `signal` aborts. A lookup that fails or finds nothing (no pod ready) reloads nothing: an
 * nginx reload whose name does not resolve fails, and the old addresses are the best left.
 */
export async function reresolve(options: ReresolveOptions): Promise<void> {
  const { host, pidFile, intervalMs, resolve, log, signal } = options;
  const reload = options.reload ?? ((pid: number) => process.kill(pid, 'SIGHUP'));
  let loaded: string | undefined; // the addresses nginx resolved at its last (re)load; unknown at first
  let lastProblem = '';
  const problem = (text: string) => {
    if (text !== lastProblem) log(text);
    lastProblem = text;
  };
  while (!signal.aborted) {
    try {
      const addresses = (await resolve(host)).sort().join(' ');
      if (addresses === '') problem(`${host}: no addresses; nginx keeps ${loaded ?? 'what it resolved at start'}`);
      else if (addresses !== loaded) {
        const pid = Number((await readFile(pidFile, 'utf8')).trim());
        if (!Number.isInteger(pid) || pid <= 0) throw new Error(`${pidFile} holds no pid`);
        reload(pid);
        log(`${host}: ${addresses}${loaded === undefined ? '' : ` (was ${loaded})`}: reloaded nginx (pid ${pid})`);
        loaded = addresses;
        lastProblem = '';
      }
    } catch (error) {
      // nginx not started yet (no pid file), a stale pid, DNS down: try again next time.
      problem(`${host}: ${(error as Error).message}`);
    }
    await sleep(intervalMs, undefined, { signal }).catch(() => undefined);
  }
}

/** The sidecar's entry point: arguments as in the header; runs until SIGTERM. */
export async function main(args: readonly string[], stderr: (line: string) => void): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      options: { host: { type: 'string' }, 'pid-file': { type: 'string' }, interval: { type: 'string', default: '1000' } },
    }));
  } catch (error) {
    stderr(`reresolve: ${(error as Error).message}`);
    return 2;
  }
  const intervalMs = Number(values.interval);
  if (!values.host || !values['pid-file'] || !(Number.isInteger(intervalMs) && intervalMs >= 100)) {
    stderr('usage: reresolve --host NAME --pid-file FILE [--interval MS, >= 100]');
    return 2;
  }
  // c-ares, with the pod's /etc/resolv.conf: the cluster DNS nginx asks too.
  const resolver = new Resolver({ timeout: 2000, tries: 2 });
  const stop = new AbortController();
  process.once('SIGTERM', () => stop.abort());
  process.once('SIGINT', () => stop.abort());
  await reresolve({
    host: values.host,
    pidFile: values['pid-file'],
    intervalMs,
    resolve: (host) => resolver.resolve4(host),
    log: (line) => stderr(`reresolve: ${line}`),
    signal: stop.signal,
  });
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2), (line) => process.stderr.write(`${line}\n`));
}
