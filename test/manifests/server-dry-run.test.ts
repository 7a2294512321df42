import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Against a real API server when KUBECONFIG names one (test/cluster/cluster-up.sh, or make e2e):
// every object of dist/ passes the server's own validation and admission, and PodSecurity
// (the namespace's `warn: restricted` label) has nothing to say. Without one, it says why it skips.
const CLI = join(process.cwd(), 'build/src/cli.js');
const kubectl = (...args: string[]) => spawnSync('kubectl', ['--request-timeout=20s', ...args], { encoding: 'utf8', timeout: 60_000 });

function apiServer(): string | undefined {
  if (!process.env.KUBECONFIG) return 'KUBECONFIG is unset: no API server to dry-run against';
  const r = kubectl('get', '--raw', '/readyz');
  return r.status === 0 ? undefined : `KUBECONFIG=${process.env.KUBECONFIG}: API server not ready (${(r.stderr || String(r.error)).trim().split('\n')[0]})`;
}

const skip = apiServer();
const work = mkdtempSync(join(tmpdir(), 'clusterbench-dry-run-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe.skipIf(skip !== undefined)(`dist/ on a real API server${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('applies with --dry-run=server, without a PodSecurity warning', () => {
    const dist = join(work, 'dist');
    const synth = spawnSync(process.execPath, [CLI, 'synth', '--out', dist, '--set', 'cluster=generic', '--set', 'ingressNginx.enabled=false'], { encoding: 'utf8' });
    expect(synth.status, synth.stderr).toBe(0);
    const files = readdirSync(dist).sort().map((f) => join(dist, f));
    // Namespaced objects can only be dry-run into a namespace that exists: create it for real
    // (what make deploy does first anyway), then dry-run everything.
    const ns = kubectl('apply', '-f', files[0]);
    expect(ns.status, ns.stderr).toBe(0);
    for (const file of files) {
      const r = kubectl('apply', '--dry-run=server', '-f', file);
      expect(r.status, `${file}: ${r.stderr}`).toBe(0);
      expect(r.stderr, file).not.toMatch(/PodSecurity|Warning/);
    }
  });
});
