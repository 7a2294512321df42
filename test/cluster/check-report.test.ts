// make e2e's last gate (test/cluster/check-report.mjs): a report from the cluster passes only with
// exactly the expected topologies, each with nonzero throughput and no errors.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, 'check-report.mjs');
const dir = mkdtempSync(join(tmpdir(), 'check-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const errors = { connect: 0, timeout: 0, reset: 0, status4xx: 0, status5xx: 0, total: 0 };
const topology = (name: string, rps = 1000, errorTotal = 0) => ({
  name,
  trials: 1,
  throughputRps: { median: rps, ciLow: rps, ciHigh: rps },
  errors: { ...errors, status5xx: errorTotal, total: errorTotal },
});
const report = (topologies: unknown[], schema = 'clusterbench/report@1') => ({ schema, topologies });

function check(body: unknown, expected = 'single,nginx,rpc-gateway') {
  const file = join(dir, `r${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, JSON.stringify(body));
  return spawnSync(process.execPath, [SCRIPT, file, expected], { encoding: 'utf8' });
}

describe('check-report.mjs', () => {
  it('passes three topologies with throughput and no errors', () => {
    const r = check(report([topology('single'), topology('nginx'), topology('rpc-gateway')]));
    expect(r.stderr).toContain('3 topologies');
    expect(r.status).toBe(0);
  });

  it.each([
    ['a missing topology', report([topology('single'), topology('nginx')]), 'topologies are [single, nginx]'],
    ['an extra topology', report(['single', 'nginx', 'rpc-gateway', 'ingress-nginx'].map((n) => topology(n))), 'ingress-nginx'],
    ['zero throughput', report([topology('single'), topology('nginx', 0), topology('rpc-gateway')]), 'nginx: throughput median is 0'],
    ['errors', report([topology('single'), topology('nginx'), topology('rpc-gateway', 900, 3)]), 'rpc-gateway: 3 errors'],
    ['another schema', report([topology('single'), topology('nginx'), topology('rpc-gateway')], 'x@2'), 'schema is "x@2"'],
  ])('fails on %s, saying what', (_what, body, message) => {
    const r = check(body);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(message);
  });

  it('exits 2 without arguments', () => {
    expect(spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' }).status).toBe(2);
  });
});
