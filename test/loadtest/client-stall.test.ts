/**
 * The load generator's own stall is measured and said, not blamed on the server: a `clusterbench
 * load` process stopped (SIGSTOP) for a second reads the answers that arrived meanwhile only when
 * it runs again, so it may count them as timeouts; the result records the stall and the summary
 * warns. A run left alone records no such stall.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LoadResult } from '../../loadtest/index.js';
import { CLI, type FixtureServer, response, ROOT, startFixtureServer } from './servers.js';

const work = mkdtempSync(join(tmpdir(), 'clusterbench-stall-'));
let server: FixtureServer;
beforeAll(async () => {
  server = await startFixtureServer((socket) => socket.write(response(200, 'Hello, World!', 'X-Served-By: fixture\r\n')));
});
afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

/** `clusterbench load` for 3 s; with `stopForMs`, stopped that long 1.2 s into the run. */
function load(out: string, stopForMs?: number): Promise<{ code: number | null; stderr: string; result: LoadResult }> {
  return new Promise((resolve, reject) => {
    const args = [CLI, 'load', server.url, '-c', '2', '-d', '3s', '-w', '0', '--workers', '1', '--timeout', '500ms', '--out', out];
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const timers = [setTimeout(() => child.kill('SIGKILL'), 30_000)];
    if (stopForMs !== undefined) {
      timers.push(setTimeout(() => child.kill('SIGSTOP'), 1_200));
      timers.push(setTimeout(() => child.kill('SIGCONT'), 1_200 + stopForMs));
    }
    child.once('error', reject);
    child.once('close', (code) => {
      for (const t of timers) clearTimeout(t);
      resolve({ code, stderr, result: JSON.parse(readFileSync(out, 'utf8')) as LoadResult });
    });
  });
}

describe('the load generator stopped for a second', () => {
  it('records its own stall and warns that its timeouts may be its own', async () => {
    const stopped = await load(join(work, 'stopped.json'), 1_000);
    expect(stopped.result.clientStallMs, stopped.stderr).toBeGreaterThanOrEqual(800);
    expect(stopped.stderr).toMatch(/warning: the load generator itself stalled for \d+ ms/);
    const alone = await load(join(work, 'alone.json'));
    expect(alone.code, alone.stderr).toBe(0);
    expect(alone.result.clientStallMs).toBeLessThan(800);
  });
});
