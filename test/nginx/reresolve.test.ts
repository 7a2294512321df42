// The nginx re-resolver (src/nginx/reresolve.ts) against a real nginx: it reloads nginx when the
// looked-up addresses change, and only then. The DNS answers are scripted (a fake: no DNS server
// whose answers a test can change runs here); the make e2e cluster proves the real lookups.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { renderNginxConfig } from '../../src/nginx/nginx-config.js';
import { main, reresolve } from '../../src/nginx/reresolve.js';
import { freePort } from '../manifests/manifests.js';

const work = mkdtempSync(join(tmpdir(), 'reresolve-'));
let nginx: ChildProcess | undefined;
afterAll(() => {
  nginx?.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
});

/** A scripted DNS: one answer (addresses or a failure) per lookup; aborts the run after the last. */
function scriptedDns(answers: (string[] | Error)[], stop: AbortController) {
  let i = 0;
  return () => {
    const answer = answers[i++];
    if (i >= answers.length) stop.abort();
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve([...answer]);
  };
}

const workers = (master: number) => readFileSync(`/proc/${master}/task/${master}/children`, 'utf8').trim();

describe('reresolve', () => {
  it('reloads a real nginx at start and on each change of addresses, not on the same set, none or a failed lookup', async () => {
    const port = await freePort();
    const conf = join(work, 'nginx.conf');
    writeFileSync(conf, renderNginxConfig({ listen: `127.0.0.1:${port}`, upstreams: ['127.0.0.1:9'], runDir: work, workerProcesses: 1 }));
    nginx = spawn('nginx', ['-e', 'stderr', '-c', conf], { stdio: 'ignore' });
    const pidFile = join(work, 'nginx.pid');
    for (
      let i = 0;
      i < 100 &&
      !(await fetch(`http://127.0.0.1:${port}/nginx-healthz`).then(
        (r) => r.ok,
        () => false,
      ));
      i++
    )
      await new Promise((r) => setTimeout(r, 100));
    const master = Number(readFileSync(pidFile, 'utf8'));
    const firstWorker = workers(master);

    const stop = new AbortController();
    const logs: string[] = [];
    const reloads: number[] = [];
    await reresolve({
      host: 'hello-headless',
      pidFile,
      intervalMs: 100,
      resolve: scriptedDns(
        [
          ['10.0.0.2', '10.0.0.1'],
          ['10.0.0.1', '10.0.0.2'],
          [],
          new Error('queryA ETIMEOUT hello-headless'),
          ['10.0.0.1', '10.0.0.3'],
          ['10.0.0.3', '10.0.0.1'],
        ],
        stop,
      ),
      reload: (pid) => {
        reloads.push(pid);
        process.kill(pid, 'SIGHUP');
      },
      log: (line) => logs.push(line),
      signal: stop.signal,
    });
    expect(reloads).toEqual([master, master]);
    expect(logs).toEqual([
      `hello-headless: 10.0.0.1 10.0.0.2: reloaded nginx (pid ${master})`,
      'hello-headless: no addresses; nginx keeps 10.0.0.1 10.0.0.2',
      'hello-headless: queryA ETIMEOUT hello-headless',
      `hello-headless: 10.0.0.1 10.0.0.3 (was 10.0.0.1 10.0.0.2): reloaded nginx (pid ${master})`,
    ]);
    // nginx took the reloads: new workers, still answering.
    for (let i = 0; i < 50 && workers(master) === firstWorker; i++) await new Promise((r) => setTimeout(r, 100));
    expect(workers(master)).not.toBe(firstWorker);
    expect((await fetch(`http://127.0.0.1:${port}/nginx-healthz`)).status).toBe(200);
  });

  it('waits for nginx to write its pid file before it counts anything as loaded', async () => {
    const pidFile = join(work, 'later.pid');
    const stop = new AbortController();
    const logs: string[] = [];
    const reloads: number[] = [];
    const answers = scriptedDns([['10.0.0.1'], ['10.0.0.1'], ['10.0.0.1']], stop);
    await reresolve({
      host: 'h',
      pidFile,
      intervalMs: 50,
      resolve: async () => {
        const addresses = await answers();
        if (logs.length === 1) writeFileSync(pidFile, '4242\n');
        return addresses;
      },
      reload: (pid) => reloads.push(pid),
      log: (line) => logs.push(line),
      signal: stop.signal,
    });
    expect(logs[0]).toMatch(/^h: ENOENT/);
    expect(reloads).toEqual([4242]);
  });

  it.each([[[]], [['--host', 'h']], [['--host', 'h', '--pid-file', 'p', '--interval', '5']], [['--bogus']]])(
    'exits 2 on bad arguments %j',
    async (args) => {
      const lines: string[] = [];
      expect(await main(args, (l) => lines.push(l))).toBe(2);
      expect(lines.join('\n')).toMatch(/reresolve/);
    },
  );
});
