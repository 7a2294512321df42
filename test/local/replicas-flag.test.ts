/**
 * `clusterbench local --replicas`: the sweep's replica counts are checked before anything starts
 * (issue 16). The sweep itself runs in local.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_LOCAL_REPLICAS, parseLocalFlags } from '../../src/local/command.js';
import { UsageError } from '../../loadtest/usage-error.js';

const ROOT = resolve(import.meta.dirname, '../..');
const CLI = join(ROOT, 'build/src/cli.js');
const base = { scenario: 'quick', out: 'reports' };

describe('clusterbench local --replicas', () => {
  it('parses a sweep; without the flag there is none', () => {
    expect(parseLocalFlags({ ...base, replicas: '1,2,3,4,6' }).replicas).toEqual([1, 2, 3, 4, 6]);
    expect(parseLocalFlags({ ...base, topologies: 'single,rpc-gateway', replicas: `1,${MAX_LOCAL_REPLICAS}` }).replicas).toEqual([1, 16]);
    expect(parseLocalFlags(base).replicas).toBeNull();
  });

  it.each([
    [{ replicas: '2,1' }, '--replicas: "2,1" must be whole numbers 1 to 16, ascending, each once (e.g. 1,2,3,4)'],
    [{ replicas: '1,1,2' }, '--replicas: "1,1,2" must be whole numbers 1 to 16, ascending, each once'],
    [{ replicas: '0,1' }, '--replicas: "0,1" must be whole numbers 1 to 16'],
    [{ replicas: '1,17' }, '--replicas: "1,17" must be whole numbers 1 to 16'],
    [{ replicas: 'three' }, '--replicas: "three" must be whole numbers'],
    [{ replicas: '1,2', topologies: 'single' }, '--replicas: needs a balanced topology in --topologies (nginx, rpc-gateway)'],
    [{ replicas: '1,2', failover: true }, '--replicas: cannot be combined with --failover'],
  ])('rejects %o', (flags, message) => {
    expect(() => parseLocalFlags({ ...base, ...flags })).toThrow(UsageError);
    expect(() => parseLocalFlags({ ...base, ...flags })).toThrow(message);
  });

  const dirs: string[] = [];
  afterAll(async () => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));

  it.each([
    ['4,2', /^clusterbench: --replicas: "4,2" must be whole numbers 1 to 16, ascending, each once \(e\.g\. 1,2,3,4\)\n$/],
    ['1,2 --failover', /^clusterbench: --replicas: cannot be combined with --failover \(it kills one of three servers\)\n$/],
  ])('the CLI exits 2 with one line for %s, before starting or writing anything', async (list, line) => {
    const dir = await mkdtemp(join(tmpdir(), 'cb-replicas-'));
    dirs.push(dir);
    const out = join(dir, 'reports');
    const run = spawnSync(process.execPath, [CLI, 'local', '--replicas', ...list.split(' '), '--out', out], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(line);
    expect(run.stdout).toBe('');
    expect(existsSync(out)).toBe(false);
  });
});
