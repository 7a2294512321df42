import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { CHART_FILES } from './chart-files.js';

// The real command, as `make synth` runs it (built by `make test` before vitest).
const CLI = join(process.cwd(), 'build/src/cli.js');
const work = mkdtempSync(join(tmpdir(), 'clusterbench-synth-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function clusterbench(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The manifests of `dir` (synth's marker, which lists them, aside). */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    readdirSync(dir)
      .filter((f) => f !== '.clusterbench-synth')
      .sort()
      .map((f) => [f, readFileSync(join(dir, f), 'utf8')]),
  );
}

describe('clusterbench synth', { timeout: 180_000 }, () => {
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (make test does) first`);
  });

  it('writes one file per chart, in apply order, and the same inputs give the same bytes', () => {
    const out = join(work, 'twice');
    const first = clusterbench('synth', '--out', out);
    expect(first.code, first.stderr).toBe(0);
    const files = snapshot(out);
    expect(Object.keys(files)).toEqual([...CHART_FILES, 'install.yaml']);
    // The marker names what synth wrote: a second synth may replace those, and only those.
    expect(readFileSync(join(out, '.clusterbench-synth'), 'utf8')).toBe(`${Object.keys(files).join('\n')}\n`);
    // install.yaml: every chart's objects, in the same order, in one file.
    const perChart = Object.entries(files)
      .filter(([f]) => f.endsWith('.k8s.yaml'))
      .flatMap(([, text]) => parseAllDocuments(text).map((d) => d.toJS()));
    const bundled = parseAllDocuments(files['install.yaml']).map((d) => d.toJS());
    expect(bundled).toEqual(perChart);
    expect(bundled.slice(0, 2).map((d) => d.kind)).toEqual(['Namespace', 'CustomResourceDefinition']);
    expect(clusterbench('synth', '--out', out).code).toBe(0);
    expect(snapshot(out)).toEqual(files);
    // Parsable YAML, and the default tag is the content hash `--print-images` reports.
    const docs = Object.entries(files)
      .filter(([f]) => f !== 'install.yaml')
      .map(([, text]) => text)
      .flatMap((text) => parseAllDocuments(text).map((d) => d.toJS()));
    expect(docs.every((d) => d.apiVersion && d.kind && d.metadata.name)).toBe(true);
    const printed = clusterbench('synth', '--print-images')
      .stdout.trim()
      .split('\n')
      .map((l) => l.split(' '));
    expect(printed.map(([name]) => name)).toEqual(['hello', 'rpc-gateway', 'bench']);
    expect(files['0002-hello.k8s.yaml']).toContain(`image: ${printed[0][1]}`);
    expect(printed[0][1]).toMatch(/^clusterbench\/hello:h[0-9a-f]{16}$/);
  });

  it('--set namespace moves every object of clusterbench there, and --print-namespace says so', () => {
    expect(clusterbench('synth', '--print-namespace').stdout).toBe('clusterbench\n');
    expect(clusterbench('synth', '--print-namespace', '--set', 'namespace=bench-a').stdout).toBe('bench-a\n');
    const out = join(work, 'namespaced');
    expect(clusterbench('synth', '--out', out, '--set', 'namespace=bench-a').code).toBe(0);
    const docs = parseAllDocuments(readFileSync(join(out, 'install.yaml'), 'utf8')).map((d) => d.toJS());
    expect(docs.find((d) => d.kind === 'Namespace' && d.metadata.name === 'bench-a')).toBeDefined();
    const namespaces = new Set(docs.map((d) => d.metadata.namespace).filter(Boolean));
    expect([...namespaces].sort()).toEqual(['bench-a', 'ingress-nginx']);
    // Addresses inside the manifests follow too (the gateway's and nginx's DNS names).
    const text = readFileSync(join(out, 'install.yaml'), 'utf8');
    expect(text).toContain('hello-headless.bench-a.svc.cluster.local:9090');
    expect(text).not.toMatch(/\.clusterbench\.svc|namespace: clusterbench$/m);
  });

  it('the cdk8s app of cdk8s.yaml (`cdk8s synth`) writes the same files as `clusterbench synth`', () => {
    const viaCli = join(work, 'via-cli');
    const viaApp = join(work, 'via-app');
    expect(clusterbench('synth', '--out', viaCli).code).toBe(0);
    const app = spawnSync(process.execPath, [join(process.cwd(), 'build/charts/main.js')], {
      encoding: 'utf8',
      env: { ...process.env, CDK8S_OUTDIR: viaApp },
    });
    expect(app.status, app.stderr).toBe(0);
    expect(snapshot(viaApp)).toEqual(snapshot(viaCli));
  });

  it('a bad --set exits 2 with one line naming the key, and leaves dist/ untouched', () => {
    const out = join(work, 'kept');
    expect(clusterbench('synth', '--out', out, '--set', 'images.tag=v1').code).toBe(0);
    const before = snapshot(out);
    for (const bad of [
      ['--set', 'hello.replicas=-1'],
      ['--set', 'cluster=openshift'],
      ['--config', join(work, 'missing.yaml')],
    ]) {
      const r = clusterbench('synth', '--out', out, ...bad);
      expect(r.code, bad.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stdout).toBe('');
      expect(snapshot(out)).toEqual(before);
    }
    // No staging or previous copies left beside it.
    expect(readdirSync(work).filter((f) => f.startsWith('.'))).toEqual([]);
  });

  it('replaces dist/ as a whole: a chart left out leaves no stale file', () => {
    const out = join(work, 'whole');
    expect(clusterbench('synth', '--out', out, '--set', 'images.tag=v1').code).toBe(0);
    expect(readdirSync(out)).toContain('0006-ingress-nginx.k8s.yaml');
    const r = clusterbench('synth', '--out', out, '--set', 'images.tag=v2', '--set', 'ingressNginx.enabled=false');
    expect(r.code, r.stderr).toBe(0);
    expect(readdirSync(out).some((f) => f.includes('ingress-nginx'))).toBe(false);
    expect(readFileSync(join(out, '0002-hello.k8s.yaml'), 'utf8')).toContain('image: clusterbench/hello:v2');
    expect(readFileSync(join(out, 'install.yaml'), 'utf8')).not.toContain('ingress-nginx-controller');
  });
});
