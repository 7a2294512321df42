import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHART_FILES } from './chart-files.js';

// kind, minikube and docker cannot run on this machine (no privileged containers, no image
// pulls), so deploy/deploy.sh runs here against RECORDING FAKES of kind, minikube, docker and
// kubectl: shell scripts that log each call and keep a little state (clusters, built images).
// The real `clusterbench synth` writes the manifests the fake kubectl is asked to apply.

const SCRIPT = join(process.cwd(), 'deploy/deploy.sh');
const CLI = join(process.cwd(), 'build/src/cli.js');
const work = mkdtempSync(join(tmpdir(), 'clusterbench-deploy-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

const FAKES: Record<string, string> = {
  kind: `
case "$1 $2" in
  "get clusters") cat "$STATE/clusters" 2>/dev/null || true ;;
  "create cluster") echo "$4" >> "$STATE/clusters" ;;
  "delete cluster") : > "$STATE/clusters" ;;
esac`,
  minikube: `
case "$3" in
  status) [ -f "$STATE/minikube" ] ;;
  start) touch "$STATE/minikube" ;;
  ip) echo 192.168.49.2 ;;
esac`,
  docker: `
case "$1 $2" in
  "image inspect") grep -qx "$3" "$STATE/images" 2>/dev/null ;;
  "build -f") echo "$5" >> "$STATE/images" ;;
esac`,
  kubectl: `
args="$*"
case "$args" in
  "config current-context") echo fake-context ;;
  *" apply -f "*-ingress.k8s.yaml)
    n=$(cat "$STATE/ingress-failures" 2>/dev/null || echo 0)
    if [ "$n" -gt 0 ]; then echo $((n - 1)) > "$STATE/ingress-failures"; echo 'failed calling webhook' >&2; exit 1; fi ;;
  *" get deployments -o name") [ "$4" = ingress-nginx ] && echo deployment.apps/ingress-nginx-controller || printf 'deployment.apps/%s\\n' hello-single hello nginx rpc-gateway clusterbench-controller ;;
  *" get namespace ingress-nginx") [ -f "$STATE/has-ingress-nginx" ] ;;
  *" get -f "*" custom-columns="*)
    while [ "$1" != -f ]; do shift; done
    awk '/^kind: /{k=$2} /^  name: /{n=$2} /^  namespace: /{print k, $2, n}' "$2" ;;
esac`,
};

function setup(name: string): { bin: string; state: string; dist: string } {
  const dir = join(work, name);
  const bin = join(dir, 'bin');
  const state = join(dir, 'state');
  mkdirSync(bin, { recursive: true });
  mkdirSync(state, { recursive: true });
  for (const [tool, body] of Object.entries(FAKES)) {
    const path = join(bin, tool);
    writeFileSync(path, `#!/usr/bin/env bash\necho "${tool} $*" >> "$STATE/calls"\n${body}\n`);
    chmodSync(path, 0o755);
  }
  return { bin, state, dist: join(dir, 'dist') };
}

function deploy(fake: { bin: string; state: string; dist: string }, command: string, env: Record<string, string>) {
  const r = spawnSync('bash', [SCRIPT, command], {
    encoding: 'utf8',
    timeout: 60_000,
    env: {
      PATH: `${fake.bin}:${process.env.PATH}`,
      HOME: process.env.HOME ?? '/tmp',
      STATE: fake.state,
      DIST: fake.dist,
      CLI: `${process.execPath} ${CLI}`,
      RETRY_DELAY: '0',
      SYNTH_ARGS: '--set images.tag=t1',
      ...env,
    },
  });
  const calls = existsSync(join(fake.state, 'calls')) ? readFileSync(join(fake.state, 'calls'), 'utf8').trim().split('\n') : [];
  writeFileSync(join(fake.state, 'calls'), '');
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, calls };
}

describe('deploy/deploy.sh (against recording fakes of kind, minikube, docker, kubectl)', { timeout: 180_000 }, () => {
  beforeAll(() => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` (make test does) first`);
  });

  it('passes bash -n and, where installed, shellcheck', () => {
    expect(spawnSync('bash', ['-n', SCRIPT]).status).toBe(0);
    const shellcheck = spawnSync('shellcheck', [SCRIPT], { encoding: 'utf8' });
    if (shellcheck.error === undefined) expect(shellcheck.stdout).toBe('');
  });

  it('kind: creates the cluster once, builds and loads the images, applies in order, retries the Ingress', () => {
    const fake = setup('kind');
    writeFileSync(join(fake.state, 'has-ingress-nginx'), '');
    writeFileSync(join(fake.state, 'ingress-failures'), '2');
    const first = deploy(fake, 'deploy', { CLUSTER: 'kind', SYNTH_ARGS: '--set cluster=kind --set images.tag=t1' });
    expect(first.code, first.stderr).toBe(0);
    expect(first.calls.filter((c) => c.startsWith('kind create'))).toEqual([
      'kind create cluster --name clusterbench --config deploy/kind-config.yaml --wait 300s',
    ]);
    expect(first.calls.filter((c) => c.startsWith('docker build'))).toEqual([
      'docker build -f images/hello/Dockerfile -t clusterbench/hello:t1 images',
      'docker build -f images/rpc-gateway/Dockerfile -t clusterbench/rpc-gateway:t1 images',
      'docker build -f images/bench/Dockerfile -t clusterbench/bench:t1 .',
    ]);
    expect(first.calls.filter((c) => c.startsWith('kind load'))).toHaveLength(3);
    const applies = first.calls.filter((c) => c.includes(' apply -f ')).map((c) => c.replace(/.*\/dist\//, ''));
    // The Ingress three times: the fake webhook refuses it twice (ingress-failures above).
    expect(applies).toEqual([...CHART_FILES, '0007-ingress.k8s.yaml', '0007-ingress.k8s.yaml']);
    expect(first.calls.every((c) => !c.startsWith('kubectl') || c.startsWith('kubectl --context kind-clusterbench'))).toBe(true);
    // The Ingress goes in only after every rollout, ingress-nginx's included.
    const lastRollout = first.calls.map((c) => c.includes('rollout status')).lastIndexOf(true);
    expect(first.calls[lastRollout]).toContain('-n ingress-nginx rollout status deployment.apps/ingress-nginx-controller');
    expect(lastRollout).toBeLessThan(first.calls.findIndex((c) => c.endsWith('0007-ingress.k8s.yaml')));
    // Each unit is up before the next: the balancers start after the hello servers.
    const helloUp = first.calls.findIndex((c) => c.endsWith('-n clusterbench rollout status deployment/hello --timeout 300s'));
    expect(helloUp).toBeGreaterThan(first.calls.findIndex((c) => c.endsWith('0002-hello.k8s.yaml')));
    expect(helloUp).toBeLessThan(first.calls.findIndex((c) => c.endsWith('0003-nginx.k8s.yaml')));
    expect(first.stdout).toContain('port-forward service/nginx');
    expect(first.stdout).toContain('http://127.0.0.1/');

    const second = deploy(fake, 'deploy', { CLUSTER: 'kind', SYNTH_ARGS: '--set cluster=kind --set images.tag=t1' });
    expect(second.code, second.stderr).toBe(0);
    expect(second.calls.filter((c) => c.startsWith('kind create') || c.startsWith('docker build'))).toEqual([]);
  });

  it('gives up with exit 1 when the Ingress never applies', () => {
    const fake = setup('stuck');
    writeFileSync(join(fake.state, 'ingress-failures'), '99');
    const r = deploy(fake, 'deploy', { CLUSTER: 'generic', SKIP_IMAGES: '1', INGRESS_APPLY_TRIES: '3' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('could not apply');
    expect(r.calls.filter((c) => c.endsWith('-ingress.k8s.yaml'))).toHaveLength(3);
  });

  it('minikube: enables the ingress addon, then tunes it; loads the images', () => {
    const fake = setup('minikube');
    const r = deploy(fake, 'deploy', { CLUSTER: 'minikube', SYNTH_ARGS: '--set cluster=minikube --set images.tag=t1' });
    expect(r.code, r.stderr).toBe(0);
    expect(r.calls).toContain('minikube -p clusterbench start --cpus 2 --memory 4096');
    expect(r.calls).toContain('minikube -p clusterbench addons enable ingress');
    expect(r.calls.filter((c) => c.startsWith('minikube -p clusterbench image load'))).toHaveLength(3);
    const addon = r.calls.indexOf('minikube -p clusterbench addons enable ingress');
    const tuning = r.calls.findIndex((c) => c.endsWith('-ingress-nginx.k8s.yaml'));
    expect(addon).toBeGreaterThanOrEqual(0);
    expect(tuning).toBeGreaterThan(addon);
  });

  it('generic with SKIP_IMAGES=1: the current context, no image tool, ingress-nginx skippable', () => {
    const fake = setup('generic');
    const r = deploy(fake, 'deploy', {
      CLUSTER: 'generic',
      SKIP_IMAGES: '1',
      SYNTH_ARGS: '--set cluster=generic --set ingressNginx.enabled=false --set images.tag=t1',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.calls.some((c) => c.startsWith('docker') || c.startsWith('kind') || c.startsWith('minikube'))).toBe(false);
    expect(
      r.calls
        .filter((c) => c.startsWith('kubectl') && c !== 'kubectl config current-context')
        .every((c) => c.startsWith('kubectl --context fake-context')),
    ).toBe(true);
    expect(r.calls.some((c) => c.includes('ingress-nginx.k8s.yaml'))).toBe(false);
    expect(r.stderr).toContain('no ingress-nginx in this cluster');
  });

  it('push builds and pushes the images of images.registry; deploy waits in the namespace setting', () => {
    const fake = setup('push');
    const push = deploy(fake, 'push', {
      CLUSTER: 'generic',
      SYNTH_ARGS: '--set cluster=generic --set images.tag=t1 --set images.registry=registry.example.com/team',
    });
    expect(push.code, push.stderr).toBe(0);
    expect(push.calls.filter((c) => c.startsWith('docker push'))).toEqual(
      ['hello', 'rpc-gateway', 'bench'].map((name) => `docker push registry.example.com/team/${name}:t1`),
    );
    expect(push.calls.findIndex((c) => c.startsWith('docker build'))).toBeLessThan(
      push.calls.findIndex((c) => c.startsWith('docker push')),
    );
    const r = deploy(fake, 'deploy', {
      CLUSTER: 'generic',
      SKIP_IMAGES: '1',
      SYNTH_ARGS: '--set cluster=generic --set images.tag=t1 --set namespace=bench-a',
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.calls.filter((c) => c.includes(' -n bench-a get deployments'))).toHaveLength(1);
    expect(r.calls.some((c) => c.includes(' -n clusterbench '))).toBe(false);
    expect(r.stdout).toContain('namespace bench-a');
  });

  it('undeploy deletes in reverse order; kind-down deletes only an existing cluster; a bad CLUSTER exits 2', () => {
    const fake = setup('down');
    const undeploy = deploy(fake, 'undeploy', { CLUSTER: 'kind' });
    expect(undeploy.code, undeploy.stderr).toBe(0);
    const deletes = undeploy.calls.filter((c) => c.includes(' delete ')).map((c) => c.replace(/.*\/dist\//, ''));
    expect(deletes[0]).toBe('0007-ingress.k8s.yaml');
    expect(deletes.at(-1)).toBe('0000-namespace.k8s.yaml');
    expect(deploy(fake, 'kind-down', { CLUSTER: 'kind' }).calls).toEqual(['kind get clusters']);
    writeFileSync(join(fake.state, 'clusters'), 'clusterbench\n');
    expect(deploy(fake, 'kind-down', { CLUSTER: 'kind' }).calls).toEqual(['kind get clusters', 'kind delete cluster --name clusterbench']);
    const bad = deploy(fake, 'deploy', { CLUSTER: 'k3s' });
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim()).toBe('deploy: CLUSTER: "k3s" is not allowed (allowed: kind, minikube, generic)');
  });
});
