import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from './manifests.js';
import { resolveBenchmarkSpec } from '../../src/api/validate.js';
import { runnerJob } from '../../src/controller/runner-job.js';
import { runnerJobProps } from '../controller/fixtures.js';

// dist/ against a real kube-apiserver: its own validation, admission and PodSecurity (the
// namespace's `warn: restricted` label) on every object, RBAC as the controller's account sees
// it, RBAC aggregation into the built-in edit and view roles (the private server runs
// kube-controller-manager's clusterrole-aggregation controller beside it), and a second
// `kubectl apply` that changes nothing. The API server is the one KUBECONFIG names
// (dry run only: that cluster may be someone's), or else a private etcd + kube-apiserver on loopback
// ports from test/cluster's build cache (real applies), or the suite says why it skips.

const CLI = join(process.cwd(), 'build/src/cli.js');
const cacheBin = join(process.env.CLUSTERBENCH_CACHE ?? join(homedir(), '.cache/clusterbench'), 'bin');
const KUBECTL = existsSync(join(cacheBin, 'kubectl')) ? join(cacheBin, 'kubectl') : 'kubectl';
const work = mkdtempSync(join(tmpdir(), 'clusterbench-apiserver-'));
const children: ChildProcess[] = [];
let kubeconfig = process.env.KUBECONFIG ?? '';
const privateServer = !process.env.KUBECONFIG;

const kubectl = (...args: string[]) =>
  spawnSync(KUBECTL, ['--request-timeout=20s', ...args], {
    encoding: 'utf8',
    timeout: 60_000,
    env: { ...process.env, KUBECONFIG: kubeconfig },
  });
const onPath = (program: string) => spawnSync('sh', ['-c', `command -v ${program}`]).status === 0;

function why(): string | undefined {
  if (process.env.KUBECONFIG)
    return kubectl('get', '--raw', '/readyz').status === 0 ? undefined : `KUBECONFIG=${process.env.KUBECONFIG}: API server not ready`;
  if (!onPath('etcd')) return 'no KUBECONFIG, and no etcd to start a private API server with (Debian etcd-server)';
  for (const program of ['kube-apiserver', 'kube-controller-manager']) {
    if (!existsSync(join(cacheBin, program))) return `no KUBECONFIG, and no ${cacheBin}/${program} (test/cluster/build.sh builds it)`;
  }
  if (!onPath(KUBECTL)) return 'no kubectl';
  return undefined;
}
const skip = why();

async function startPrivateApiServer(): Promise<void> {
  const [etcdClient, etcdPeer, apiPort] = [await freePort(), await freePort(), await freePort()];
  const token = randomBytes(16).toString('hex');
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  writeFileSync(join(work, 'sa.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
  writeFileSync(join(work, 'tokens.csv'), `${token},admin,1,system:masters\n`);
  const run = (program: string, args: string[]) => {
    const child = spawn(program, args, { stdio: 'ignore' });
    children.push(child);
  };
  run('etcd', [
    '--name',
    'manifests',
    '--data-dir',
    join(work, 'etcd'),
    '--log-level',
    'warn',
    '--listen-metrics-urls',
    '',
    '--listen-client-urls',
    `http://127.0.0.1:${etcdClient}`,
    '--advertise-client-urls',
    `http://127.0.0.1:${etcdClient}`,
    '--listen-peer-urls',
    `http://127.0.0.1:${etcdPeer}`,
    '--initial-advertise-peer-urls',
    `http://127.0.0.1:${etcdPeer}`,
    '--initial-cluster',
    `manifests=http://127.0.0.1:${etcdPeer}`,
  ]);
  run(join(cacheBin, 'kube-apiserver'), [
    '--bind-address=127.0.0.1',
    `--secure-port=${apiPort}`,
    `--cert-dir=${join(work, 'certs')}`,
    `--etcd-servers=http://127.0.0.1:${etcdClient}`,
    `--token-auth-file=${join(work, 'tokens.csv')}`,
    '--authorization-mode=RBAC',
    '--service-account-issuer=https://kubernetes.default.svc',
    `--service-account-key-file=${join(work, 'sa.key')}`,
    `--service-account-signing-key-file=${join(work, 'sa.key')}`,
    '--service-cluster-ip-range=10.252.0.0/24',
  ]);
  kubeconfig = join(work, 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: private, cluster: {server: "https://127.0.0.1:${apiPort}", insecure-skip-tls-verify: true}}]`,
      `users: [{name: admin, user: {token: ${token}}}]`,
      'contexts: [{name: private, context: {cluster: private, user: admin}}]',
      'current-context: private',
      '',
    ].join('\n'),
  );
  // Only the controller that fills aggregated ClusterRoles (edit, view) from their labelled parts.
  run(join(cacheBin, 'kube-controller-manager'), [
    `--kubeconfig=${kubeconfig}`,
    '--controllers=clusterrole-aggregation',
    '--leader-elect=false',
    '--secure-port=0',
  ]);
  const deadline = Date.now() + 90_000;
  while (kubectl('get', '--raw', '/readyz').status !== 0) {
    if (Date.now() > deadline) throw new Error('the private kube-apiserver was not ready within 90 s');
    if (children.some((c) => c.exitCode !== null)) throw new Error('etcd or kube-apiserver exited');
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** SIGTERM, then SIGKILL after 5 s (kube-apiserver drains for a while): the API server before etcd. */
async function stopAll(): Promise<void> {
  for (const c of [...children].reverse()) {
    if (c.exitCode !== null || c.signalCode !== null) continue;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

afterAll(async () => {
  await stopAll();
  rmSync(work, { recursive: true, force: true });
});

function synth(name: string, ...sets: string[]): string[] {
  const dist = join(work, name);
  const r = spawnSync(process.execPath, [CLI, 'synth', '--out', dist, ...sets.flatMap((s) => ['--set', s])], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return readdirSync(dist)
    .filter((f) => f.endsWith('.k8s.yaml'))
    .sort()
    .map((f) => join(dist, f));
}

describe.skipIf(skip !== undefined)(`dist/ on a real API server${skip ? ` (skipped: ${skip})` : ''}`, { timeout: 180_000 }, () => {
  beforeAll(async () => {
    if (privateServer) await startPrivateApiServer();
  }, 120_000);

  it('every object passes the server, without a PodSecurity warning', () => {
    // On a shared cluster: create only the namespace (make deploy's first step) and dry-run the rest.
    const files = synth('generic', 'cluster=generic', 'ingressNginx.enabled=false');
    expect(kubectl('apply', '-f', files[0]).status).toBe(0);
    for (const file of files) {
      const r = kubectl('apply', ...(privateServer ? [] : ['--dry-run=server']), '-f', file);
      expect(r.status, `${file}: ${r.stderr}`).toBe(0);
      expect(r.stderr, file).not.toMatch(/PodSecurity|Warning/);
    }
  });

  it.skipIf(!privateServer)('kubectl apply -f dist/ (kind, with ingress-nginx) creates everything; a second apply changes nothing', () => {
    // The servers' node selector too: the server keeps it as synthesized (the second apply changes nothing).
    const files = synth('kind', 'cluster=kind', 'hello.memory=1Gi', 'nginx.cpu=1.5', 'servers.nodeSelector=clusterbench.dev/pool=servers');
    const dist = join(files[0], '..');
    const first = kubectl('apply', '-f', dist);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stderr).not.toMatch(/Warning/);
    const second = kubectl('apply', '-f', dist);
    expect(second.status, second.stderr).toBe(0);
    const changed = second.stdout
      .trim()
      .split('\n')
      .filter((line) => !line.endsWith(' unchanged'));
    expect(changed).toEqual([]);
  });

  it.skipIf(!privateServer)("the controller's account can do what it calls and nothing else", () => {
    const as = ['--as', 'system:serviceaccount:clusterbench:clusterbench-controller', '-n', 'clusterbench'];
    const can = (verb: string, resource: string, ...more: string[]) =>
      kubectl('auth', 'can-i', verb, resource, ...more, ...as).stdout.trim();
    expect(can('create', 'jobs.batch')).toBe('yes');
    expect(can('patch', 'benchmarks.clusterbench.dev', '--subresource=status')).toBe('yes');
    expect(can('update', 'benchmarks.clusterbench.dev')).toBe('no');
    expect(can('delete', 'pods')).toBe('yes');
    expect(can('get', 'secrets')).toBe('no');
    expect(can('create', 'pods')).toBe('no');
    // Nodes: get (the report's CPUs of the nodes its pods ran on), not list.
    expect(can('get', 'nodes')).toBe('yes');
    expect(can('list', 'nodes')).toBe('no');
    expect(
      kubectl(
        'auth',
        'can-i',
        'list',
        'pods',
        '--as',
        'system:serviceaccount:clusterbench:clusterbench-controller',
        '-n',
        'default',
      ).stdout.trim(),
    ).toBe('no');
  });

  it.skipIf(!privateServer)('users of the built-in edit role create the sample Benchmark; view reads it and nothing more', async () => {
    const bind = (user: string, role: string) =>
      kubectl('create', 'rolebinding', `${user}-${role}`, `--clusterrole=${role}`, `--user=${user}`, '-n', 'clusterbench');
    expect(bind('alice', 'edit').status).toBe(0);
    expect(bind('bob', 'view').status).toBe(0);
    const can = (user: string, verb: string) =>
      kubectl('auth', 'can-i', verb, 'benchmarks.clusterbench.dev', '--as', user, '-n', 'clusterbench').stdout.trim();
    // Aggregation is asynchronous: the controller fills edit's rules within a moment.
    const deadline = Date.now() + 30_000;
    while (can('alice', 'create') !== 'yes' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 300));
    const asAlice = kubectl('apply', '--as', 'alice', '-n', 'clusterbench', '-f', 'examples/benchmark.yaml');
    expect(asAlice.status, asAlice.stderr).toBe(0);
    expect(asAlice.stderr).not.toMatch(/Warning/);
    const asBob = kubectl('get', 'benchmark', 'nightly', '--as', 'bob', '-n', 'clusterbench', '-o', 'jsonpath={.spec.scenario}');
    expect(asBob.stdout, asBob.stderr).toBe('quick');
    expect(can('bob', 'create')).toBe('no');
    expect(can('bob', 'delete')).toBe('no');
    expect(can('bob', 'list')).toBe('yes');
    // Only in the namespace bound: edit there grants nothing elsewhere.
    expect(kubectl('auth', 'can-i', 'create', 'benchmarks.clusterbench.dev', '--as', 'alice', '-n', 'default').stdout.trim()).toBe('no');
    expect(kubectl('delete', 'benchmark', 'nightly', '--as', 'alice', '-n', 'clusterbench').status).toBe(0);
  });

  it.skipIf(!privateServer)('the Benchmark CRD enforces its schema: enums, bounds, required fields', () => {
    const benchmark = (name: string, spec: object) =>
      JSON.stringify({ apiVersion: 'clusterbench.dev/v1alpha1', kind: 'Benchmark', metadata: { name, namespace: 'clusterbench' }, spec });
    const create = (body: string) =>
      spawnSync(KUBECTL, ['create', '--dry-run=server', '-f', '-'], {
        input: body,
        encoding: 'utf8',
        env: { ...process.env, KUBECONFIG: kubeconfig },
      });
    const placement = {
      runners: {
        nodeSelector: { 'clusterbench.dev/pool': 'load' },
        tolerations: [{ key: 'clusterbench.dev/load', operator: 'Exists', effect: 'NoSchedule' }],
      },
    };
    const spec = {
      topologies: ['single', 'nginx'],
      scenario: 'quick',
      runners: 100,
      load: { duration: '5s', connections: 200 },
      placement,
    };
    const ok = create(benchmark('ok', spec));
    expect(ok.status, ok.stderr).toBe(0);
    // The runner Job of that spec passes the server too: placement, spread and all.
    const resolved = resolveBenchmarkSpec(spec);
    if (!('plan' in resolved)) throw new Error(JSON.stringify(resolved));
    const job = runnerJob(runnerJobProps(resolved.plan));
    const jobCreated = create(JSON.stringify(job));
    expect(jobCreated.status, jobCreated.stderr).toBe(0);
    expect(jobCreated.stderr).not.toMatch(/Warning/);
    const rejected: [object, RegExp][] = [
      [{ topologies: ['haproxy'] }, /spec\.topologies\[0\]: Unsupported value: "haproxy"/],
      [{ topologies: ['single'], runners: 101 }, /spec\.runners: Invalid value: 101/],
      [
        { topologies: ['single'], placement: { runners: { tolerations: [{ operator: 'Sometimes' }] } } },
        /spec\.placement\.runners\.tolerations\[0\]\.operator: Unsupported value: "Sometimes"/,
      ],
      [
        { topologies: ['single'], placement: { runners: { nodeSelector: { pool: 'a'.repeat(64) } } } },
        /spec\.placement\.runners\.nodeSelector\.pool: Too long/,
      ],
      [{ topologies: ['single'], placement: { runners: { zone: 'a' } } }, /unknown field "spec\.placement\.runners\.zone"/],
      [{ topologies: ['single'], scenario: 'huge' }, /spec\.scenario: Unsupported value: "huge"/],
      [{ scenario: 'quick' }, /spec\.topologies: Required value/],
      [{ topologies: ['single'], load: { duration: 'soon' } }, /spec\.load\.duration/],
    ];
    for (const [spec, message] of rejected) {
      const r = create(benchmark('bad', spec));
      expect(r.status, JSON.stringify(spec)).not.toBe(0);
      expect(r.stderr, JSON.stringify(spec)).toMatch(message);
    }
  });

  it.skipIf(!privateServer)('stops the API server and etcd it started', async () => {
    await stopAll();
    expect(children.filter((c) => c.exitCode === null && c.signalCode === null)).toEqual([]);
  });
});
