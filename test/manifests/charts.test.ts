import { describe, expect, it } from 'vitest';
import {
  BENCHMARK_GROUP,
  BENCHMARK_VERSION,
  benchmarkCrdSchema,
  benchmarkPrinterColumns,
  controllerNodeRbacRules,
  controllerRbacRules,
} from '../../src/api/benchmark.js';
import { renderNginxConfig } from '../../src/nginx/nginx-config.js';
import { cpuMillis, find, memoryMiB, podSpecOf, selects, synth, type K8sObject } from './manifests.js';

const workloads = (objects: K8sObject[]) => objects.filter((o) => podSpecOf(o));
const containersOf = (o: K8sObject) => podSpecOf(o).containers as any[];
const envOf = (c: any) => Object.fromEntries((c.env ?? []).map((e: any) => [e.name, e.value ?? e.valueFrom]));

describe('charts: objects and names', () => {
  const { charts, objects } = synth();

  it('one chart per deployable unit, the namespace and the CRD first, the Ingress last', () => {
    expect([...charts.keys()]).toEqual(['namespace', 'crd', 'hello', 'nginx', 'rpc-gateway', 'controller', 'ingress-nginx', 'ingress']);
  });

  it('the recommended labels on every object and pod template; ingress-nginx keeps upstream part-of', () => {
    const keys = ['name', 'instance', 'version', 'component', 'part-of', 'managed-by'].map((k) => `app.kubernetes.io/${k}`);
    const labelled = objects.flatMap((o) => [
      {
        what: `${o.kind}/${o.metadata.name}`,
        labels: o.metadata.labels ?? {},
        chart: [...charts].find(([, list]) => list.includes(o))?.[0],
      },
      ...(podSpecOf(o)
        ? [
            {
              what: `${o.kind}/${o.metadata.name} pods`,
              labels: o.spec.template.metadata.labels ?? {},
              chart: [...charts].find(([, list]) => list.includes(o))?.[0],
            },
          ]
        : []),
    ]);
    expect(labelled.length).toBeGreaterThan(30);
    for (const { what, labels, chart } of labelled) {
      for (const key of keys) expect(labels[key], `${what}: ${key}`).toMatch(/^[A-Za-z0-9]([A-Za-z0-9_.-]{0,61}[A-Za-z0-9])?$/);
      expect(labels['app.kubernetes.io/part-of'], what).toBe(chart === 'ingress-nginx' ? 'ingress-nginx' : 'clusterbench');
      expect(labels['app.kubernetes.io/managed-by'], what).toBe('cdk8s');
      expect(labels['app.kubernetes.io/version'], what).toBe(chart === 'ingress-nginx' ? '1.15.1' : 'test1');
    }
    // What each part is: its own name and role; a Deployment's selector labels are unchanged.
    const labelsOf = (kind: string, name: string) => find(objects, kind, name).metadata.labels ?? {};
    expect(labelsOf('Deployment', 'hello-single')).toMatchObject({
      'app.kubernetes.io/name': 'hello',
      'app.kubernetes.io/instance': 'hello-single',
      'app.kubernetes.io/component': 'server',
    });
    expect(labelsOf('Deployment', 'nginx')['app.kubernetes.io/component']).toBe('load-balancer');
    expect(labelsOf('Deployment', 'rpc-gateway')['app.kubernetes.io/component']).toBe('gateway');
    expect(labelsOf('CustomResourceDefinition', 'benchmarks.clusterbench.dev')['app.kubernetes.io/component']).toBe('api');
    expect(find(objects, 'Deployment', 'hello').spec.selector.matchLabels).toEqual({
      'app.kubernetes.io/name': 'hello',
      'app.kubernetes.io/instance': 'hello',
    });
    expect(labelsOf('Deployment', 'ingress-nginx-controller')).toMatchObject({
      'app.kubernetes.io/name': 'ingress-nginx',
      'app.kubernetes.io/instance': 'ingress-nginx',
      'app.kubernetes.io/component': 'controller',
    });
  });

  it('fixed names: Deployments, Services (plus headless) and the Ingress of DESIGN.md', () => {
    const replicas = Object.fromEntries(
      objects
        .filter((o) => o.kind === 'Deployment' && o.metadata.namespace === 'clusterbench')
        .map((o) => [o.metadata.name, o.spec.replicas]),
    );
    expect(replicas).toEqual({ 'hello-single': 1, hello: 3, 'rpc-gateway': 1, nginx: 1, 'clusterbench-controller': 1 });
    const services = objects
      .filter((o) => o.kind === 'Service' && o.metadata.namespace === 'clusterbench')
      .map((o) => o.metadata.name)
      .sort();
    expect(services).toEqual(['clusterbench-controller', 'hello', 'hello-headless', 'hello-single', 'nginx', 'rpc-gateway']);
    expect(find(objects, 'Service', 'hello-headless').spec.clusterIP).toBe('None');
    for (const o of objects) expect(o.metadata.name, `${o.kind} name`).not.toMatch(/-c[0-9a-f]{7}$/);
  });

  it('every namespaced object of clusterbench is in the clusterbench namespace; cluster-scoped ones have none', () => {
    const clusterScoped = ['Namespace', 'CustomResourceDefinition', 'ClusterRole', 'ClusterRoleBinding', 'IngressClass'];
    for (const [chart, list] of charts) {
      for (const o of list) {
        const expected = clusterScoped.includes(o.kind) ? undefined : chart === 'ingress-nginx' ? 'ingress-nginx' : 'clusterbench';
        expect(o.metadata.namespace, `${chart}: ${o.kind}/${o.metadata.name}`).toBe(expected);
      }
    }
  });

  it('each Service selects exactly the pods of its Deployment', () => {
    const deployments = objects.filter((o) => o.kind === 'Deployment');
    for (const svc of objects.filter((o) => o.kind === 'Service')) {
      const matched = deployments.filter(
        (d) => d.metadata.namespace === svc.metadata.namespace && selects(svc.spec.selector, d.spec.template.metadata.labels),
      );
      const expected = svc.metadata.name === 'hello-headless' ? 'hello' : svc.metadata.name;
      expect(
        matched.map((d) => d.metadata.name),
        `Service ${svc.metadata.name}`,
      ).toEqual([expected]);
    }
  });
});

describe('charts: written as the API server stores them (a second kubectl apply reports unchanged)', () => {
  // Checked against a real kube-apiserver: these were the fields that made every re-apply patch.
  const emptyOrZero: string[] = [];
  const walk = (value: unknown, path: string): void => {
    if (Array.isArray(value)) {
      if (value.length === 0) emptyOrZero.push(path);
      value.forEach((v, i) => walk(v, `${path}[${i}]`));
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) walk(v, `${path}.${k}`);
    } else if (value === '' && !path.endsWith('.apiGroups[0]')) {
      emptyOrZero.push(path);
    }
  };
  for (const sets of [[], ['hello.cpu=2', 'hello.memory=1Gi', 'hello.memoryRequest=1024Mi']]) {
    const { objects } = synth(sets);

    it(`no empty lists or strings, no zero values the server omits (${sets.join(' ') || 'defaults'})`, () => {
      for (const o of objects) walk(o, `${o.kind}/${o.metadata.name}`);
      expect(emptyOrZero).toEqual([]);
      for (const o of objects.filter((x) => x.kind === 'Deployment')) {
        expect(o.spec.minReadySeconds, o.metadata.name).toBeUndefined();
        expect(o.spec.template.spec.hostNetwork, o.metadata.name).toBeUndefined();
      }
    });

    it(`quantities in canonical form (${sets.join(' ') || 'defaults'})`, () => {
      for (const o of objects.filter((x) => podSpecOf(x))) {
        for (const c of containersOf(o)) {
          for (const q of [c.resources.requests.cpu, c.resources.limits.cpu]) expect(q, c.name).toMatch(/^([1-9]\d*|\d*[1-9]\d{0,2}m)$/);
          for (const q of [c.resources.requests.memory, c.resources.limits.memory]) expect(q, c.name).toMatch(/^(\d+Gi|\d*[1-9]\d*Mi)$/);
          if (/Mi$/.test(c.resources.limits.memory)) expect(parseInt(c.resources.limits.memory, 10) % 1024, c.name).not.toBe(0);
          if (/m$/.test(c.resources.limits.cpu)) expect(parseInt(c.resources.limits.cpu, 10) % 1000, c.name).not.toBe(0);
        }
      }
    });
  }
});

describe('charts: every pod is set deliberately', () => {
  const { objects } = synth();

  it('images: pinned, never latest, IfNotPresent; ours carry the build tag', () => {
    for (const o of workloads(objects)) {
      for (const c of containersOf(o)) {
        expect(c.imagePullPolicy, c.name).toBe('IfNotPresent');
        expect(c.image, c.name).not.toMatch(/:latest$/);
        expect(c.image, c.name).toMatch(/:[\w.-]+$|@sha256:[0-9a-f]{64}$/);
      }
    }
    expect(containersOf(find(objects, 'Deployment', 'hello'))[0].image).toBe('clusterbench/hello:test1');
    expect(containersOf(find(objects, 'Deployment', 'rpc-gateway'))[0].image).toBe('clusterbench/rpc-gateway:test1');
    expect(containersOf(find(objects, 'Deployment', 'clusterbench-controller'))[0].image).toBe('clusterbench/bench:test1');
  });

  it('requests and limits on every container; requests fit one 2-CPU kind node beside kube-system', () => {
    let cpuRequested = 0;
    let memoryRequested = 0;
    for (const o of workloads(objects)) {
      for (const c of containersOf(o)) {
        const { requests, limits } = c.resources;
        for (const q of [requests.cpu, limits.cpu]) expect(cpuMillis(q), `${c.name} cpu`).toBeGreaterThan(0);
        for (const q of [requests.memory, limits.memory]) expect(memoryMiB(q), `${c.name} memory`).toBeGreaterThan(0);
        expect(cpuMillis(requests.cpu)).toBeLessThanOrEqual(cpuMillis(limits.cpu));
        expect(memoryMiB(requests.memory)).toBeLessThanOrEqual(memoryMiB(limits.memory));
        expect(cpuMillis(limits.cpu), `${c.name}: at most the node`).toBeLessThanOrEqual(2000);
        cpuRequested += cpuMillis(requests.cpu) * o.spec.replicas;
        memoryRequested += memoryMiB(requests.memory) * o.spec.replicas;
      }
    }
    // kind's kube-system requests about 950m of a 2-CPU node; leave room for two load runners.
    expect(cpuRequested).toBeLessThanOrEqual(850);
    expect(memoryRequested).toBeLessThanOrEqual(1024);
  });

  it('probes: readiness and liveness on every container, HTTP on a declared port', () => {
    for (const o of workloads(objects)) {
      for (const c of containersOf(o)) {
        const ports = c.ports.map((p: any) => p.containerPort).concat(10254);
        for (const probe of [c.readinessProbe, c.livenessProbe]) {
          expect(probe?.httpGet?.path, `${c.name}`).toMatch(/^\//);
          expect(ports).toContain(probe.httpGet.port);
        }
      }
    }
  });

  it('non-root numeric UID, read-only root, capabilities dropped, seccomp RuntimeDefault, no escalation', () => {
    for (const o of workloads(objects)) {
      const spec = podSpecOf(o);
      expect(spec.securityContext.seccompProfile).toEqual({ type: 'RuntimeDefault' });
      for (const c of containersOf(o)) {
        const sc = c.securityContext;
        expect(sc.runAsNonRoot, c.name).toBe(true);
        expect(Number.isInteger(sc.runAsUser) && sc.runAsUser > 0, c.name).toBe(true);
        expect(sc.allowPrivilegeEscalation).toBe(false);
        expect(sc.privileged).toBe(false);
        expect(sc.capabilities.drop).toEqual(['ALL']);
        expect(sc.seccompProfile).toEqual({ type: 'RuntimeDefault' });
        // The one exception, upstream's: ingress-nginx rewrites its nginx.conf at run time.
        expect(sc.readOnlyRootFilesystem, c.name).toBe(o.metadata.name !== 'ingress-nginx-controller');
      }
    }
  });

  it('emptyDir where a program writes: nginx its run dir, the controller /tmp', () => {
    const mountsOf = (name: string) => {
      const spec = podSpecOf(find(objects, 'Deployment', name));
      return Object.fromEntries(
        spec.containers[0].volumeMounts.map((m: any) => [
          m.mountPath,
          Object.keys(spec.volumes.find((v: any) => v.name === m.name)).find((k) => k !== 'name'),
        ]),
      );
    };
    expect(mountsOf('nginx')).toEqual({ '/tmp/nginx': 'emptyDir', '/etc/clusterbench': 'configMap' });
    expect(mountsOf('clusterbench-controller')).toEqual({ '/tmp': 'emptyDir' });
    expect(podSpecOf(find(objects, 'Deployment', 'hello')).volumes ?? []).toEqual([]);
  });

  it('service account tokens: only the clusterbench controller (and the ingress controller) mount one', () => {
    const withToken = workloads(objects)
      .filter((o) => podSpecOf(o).automountServiceAccountToken !== false)
      .map((o) => o.metadata.name);
    expect(withToken.sort()).toEqual(['clusterbench-controller', 'ingress-nginx-controller']);
    expect(podSpecOf(find(objects, 'Deployment', 'clusterbench-controller')).serviceAccountName).toBe('clusterbench-controller');
    const accounts = objects.filter((o) => o.kind === 'ServiceAccount' && o.metadata.namespace === 'clusterbench');
    for (const sa of accounts) expect(sa.automountServiceAccountToken, sa.metadata.name).toBe(false);
  });
});

describe('charts: network policy', () => {
  const { objects } = synth();
  const policy = find(objects, 'NetworkPolicy', 'hello');
  const podsOf = (name: string) => find(objects, 'Deployment', name).spec.template.metadata.labels;
  // Which hello ports may pods with these labels, in this namespace, reach?
  const allowedPorts = (labels: Record<string, string>, namespace: string) =>
    policy.spec.ingress
      .filter((rule: any) =>
        rule.from.some(
          (peer: any) =>
            selects(peer.podSelector.matchLabels, labels) &&
            (peer.namespaceSelector
              ? peer.namespaceSelector.matchLabels['kubernetes.io/metadata.name'] === namespace
              : namespace === 'clusterbench'),
        ),
      )
      .flatMap((rule: any) => rule.ports.map((p: any) => p.port))
      .sort();

  it('guards both hello Deployments', () => {
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(selects(policy.spec.podSelector.matchLabels, podsOf('hello'))).toBe(true);
    expect(selects(policy.spec.podSelector.matchLabels, podsOf('hello-single'))).toBe(true);
    expect(selects(policy.spec.podSelector.matchLabels, podsOf('nginx'))).toBe(false);
  });

  it('admits the balancers and the load runners on HTTP, the gateway on RPC, and no one else', () => {
    expect(allowedPorts(podsOf('nginx'), 'clusterbench')).toEqual([8080]);
    expect(allowedPorts(podsOf('rpc-gateway'), 'clusterbench')).toEqual([9090]);
    expect(allowedPorts(podsOf('ingress-nginx-controller'), 'ingress-nginx')).toEqual([8080]);
    expect(allowedPorts({ 'app.kubernetes.io/name': 'clusterbench-runner' }, 'clusterbench')).toEqual([8080]);
    expect(allowedPorts(podsOf('clusterbench-controller'), 'clusterbench')).toEqual([]);
    expect(allowedPorts(podsOf('ingress-nginx-controller'), 'clusterbench')).toEqual([]);
    expect(allowedPorts({ 'app.kubernetes.io/name': 'nginx' }, 'default')).toEqual([]);
  });
});

describe('charts: the controller NetworkPolicy', () => {
  const { objects } = synth();
  const policy = find(objects, 'NetworkPolicy', 'clusterbench-controller');
  const podsOf = (name: string) => find(objects, 'Deployment', name).spec.template.metadata.labels;
  const admits = (labels: Record<string, string>) =>
    policy.spec.ingress
      .filter((rule: any) => rule.from.some((peer: any) => !peer.namespaceSelector && selects(peer.podSelector.matchLabels, labels)))
      .flatMap((rule: any) => rule.ports.map((p: any) => p.port));

  it('guards the controller and admits only the load runners of its namespace, on its port', () => {
    expect(policy.spec.policyTypes).toEqual(['Ingress']);
    expect(selects(policy.spec.podSelector.matchLabels, podsOf('clusterbench-controller'))).toBe(true);
    expect(selects(policy.spec.podSelector.matchLabels, podsOf('hello'))).toBe(false);
    expect(admits({ 'app.kubernetes.io/name': 'clusterbench-runner' })).toEqual([8080]);
    for (const other of ['hello', 'nginx', 'rpc-gateway']) expect(admits(podsOf(other)), other).toEqual([]);
    expect(policy.spec.ingress.every((rule: any) => rule.from.every((peer: any) => peer.namespaceSelector === undefined))).toBe(true);
  });
});

describe('charts: topologies', () => {
  it('hello: the ports, the instance id and the knobs of images/hello', () => {
    const { objects } = synth(['hello.work=200us', 'hello.delay=1ms', 'hello.payload=512', 'hello.replicas=5', 'hello.cpu=250m']);
    const hello = find(objects, 'Deployment', 'hello');
    const c = containersOf(hello)[0];
    expect(hello.spec.replicas).toBe(5);
    expect(c.args).toEqual(['--http', ':8080', '--rpc', ':9090']);
    expect(envOf(c)).toEqual({
      HELLO_WORK: '200us',
      HELLO_DELAY: '1ms',
      HELLO_PAYLOAD: '512',
      POD_NAME: { fieldRef: { fieldPath: 'metadata.name' } },
    });
    expect(c.resources.limits.cpu).toBe('250m');
    expect(find(objects, 'Deployment', 'hello-single').spec.replicas).toBe(1);
    expect(envOf(containersOf(find(synth().objects, 'Deployment', 'hello'))[0])).toEqual({
      POD_NAME: { fieldRef: { fieldPath: 'metadata.name' } },
    });
  });

  it('hello: the three balanced pods spread over nodes by hostname, preferred so one node still runs them', () => {
    const { objects } = synth();
    const spread = podSpecOf(find(objects, 'Deployment', 'hello')).topologySpreadConstraints;
    expect(spread).toEqual([
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: { matchLabels: { 'app.kubernetes.io/name': 'hello', 'app.kubernetes.io/instance': 'hello' } },
      },
    ]);
    // The selector picks exactly the pods being spread (not hello-single's).
    expect(selects(spread[0].labelSelector.matchLabels, find(objects, 'Deployment', 'hello-single').spec.template.metadata.labels)).toBe(
      false,
    );
    expect(podSpecOf(find(objects, 'Deployment', 'nginx')).topologySpreadConstraints).toBeUndefined();
  });

  it('nginx: its config is the shared template, upstream of every hello pod, re-resolved', () => {
    const { objects } = synth(['nginx.upstreamKeepalive=64', 'nginx.cpu=2']);
    const conf = find(objects, 'ConfigMap', 'nginx-config').data['nginx.conf'];
    expect(conf).toBe(
      renderNginxConfig({
        listen: '8080',
        upstreams: ['hello-headless.clusterbench.svc.cluster.local:8080'],
        runDir: '/tmp/nginx',
        workerProcesses: 2,
        upstreamKeepalive: 64,
        extraHttpLines: ['resolver kube-dns.kube-system.svc.cluster.local valid=5s ipv6=off;'],
        resolveUpstreams: true,
      }),
    );
    expect(conf).toContain('server hello-headless.clusterbench.svc.cluster.local:8080 max_fails=1 fail_timeout=2s resolve;');
    expect(conf).toContain('zone hello 64k;');
    const deployment = find(objects, 'Deployment', 'nginx');
    expect(containersOf(deployment)[0].command).toEqual(['nginx', '-e', 'stderr', '-c', '/etc/clusterbench/nginx.conf']);
    // A changed config rolls the pods.
    const checksum = (o: K8sObject) => o.spec.template.metadata.annotations['clusterbench.dev/config-sha256'];
    expect(checksum(deployment)).not.toBe(checksum(find(synth().objects, 'Deployment', 'nginx')));
  });

  it('nginx before 1.27.3 (nginx.resolveUpstreams=false): the headless name, resolved when nginx loads its config', () => {
    const conf = find(synth(['nginx.resolveUpstreams=false']).objects, 'ConfigMap', 'nginx-config').data['nginx.conf'];
    expect(conf).toContain('server hello-headless.clusterbench.svc.cluster.local:8080 max_fails=1 fail_timeout=2s;');
    expect(conf).not.toMatch(/zone hello|resolve;/);
  });

  it('rpc-gateway: re-resolves the headless Service on the RPC port', () => {
    const { objects } = synth(['rpcGateway.balancer=round-robin']);
    expect(containersOf(find(objects, 'Deployment', 'rpc-gateway'))[0].args).toEqual([
      '--http',
      ':8080',
      '--backends-dns',
      'hello-headless.clusterbench.svc.cluster.local:9090',
      '--balancer',
      'round-robin',
    ]);
    const headless = find(objects, 'Service', 'hello-headless');
    expect(headless.spec.ports.map((p: any) => p.port)).toContain(9090);
  });

  it('ingress: class nginx, every path to the three-replica hello Service', () => {
    const ingress = find(synth().objects, 'Ingress', 'hello');
    expect(ingress.spec.ingressClassName).toBe('nginx');
    expect(ingress.spec.rules).toEqual([
      { http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'hello', port: { number: 8080 } } } }] } },
    ]);
  });
});

describe('charts: ingress-nginx', () => {
  it('pinned to v1.15.1 by digest, with RBAC, IngressClass, Service and keep-alive tuning', () => {
    const { charts } = synth();
    const list = charts.get('ingress-nginx')!;
    expect(list.map((o) => o.kind)).toEqual([
      'Namespace',
      'ServiceAccount',
      'Role',
      'RoleBinding',
      'ClusterRole',
      'ClusterRoleBinding',
      'IngressClass',
      'ConfigMap',
      'Deployment',
      'Service',
    ]);
    const c = containersOf(find(list, 'Deployment', 'ingress-nginx-controller'))[0];
    expect(c.image).toBe(
      'registry.k8s.io/ingress-nginx/controller:v1.15.1@sha256:594ceea76b01c592858f803f9ff4d2cb40542cae2060410b2c95f75907d659e1',
    );
    expect(c.args).toContain('--ingress-class=nginx');
    expect(c.args.some((a: string) => a.startsWith('--validating-webhook'))).toBe(false);
    expect(find(list, 'IngressClass', 'nginx').spec.controller).toBe('k8s.io/ingress-nginx');
    expect(find(list, 'ConfigMap', 'ingress-nginx-controller').data).toMatchObject({
      'upstream-keepalive-connections': '320',
      'keep-alive-requests': '1000000',
      'worker-processes': '1',
    });
  });

  it('kind: host ports 80/443 on the node labelled ingress-ready; generic: neither', () => {
    const kind = find(synth(['cluster=kind']).objects, 'Deployment', 'ingress-nginx-controller');
    expect(containersOf(kind)[0].ports.map((p: any) => p.hostPort)).toEqual([80, 443]);
    expect(podSpecOf(kind).nodeSelector).toEqual({ 'kubernetes.io/os': 'linux', 'ingress-ready': 'true' });
    const generic = find(synth(['cluster=generic']).objects, 'Deployment', 'ingress-nginx-controller');
    expect(containersOf(generic)[0].ports.map((p: any) => p.hostPort)).toEqual([undefined, undefined]);
    expect(podSpecOf(generic).nodeSelector).toEqual({ 'kubernetes.io/os': 'linux' });
  });

  it("minikube: the addon is the controller, so only the same tuning ConfigMap, replacing the addon's", () => {
    const { charts } = synth(['cluster=minikube', 'ingressNginx.upstreamKeepalive=100']);
    const list = charts.get('ingress-nginx')!;
    expect(list.map((o) => `${o.kind}/${o.metadata.namespace}/${o.metadata.name}`)).toEqual([
      'ConfigMap/ingress-nginx/ingress-nginx-controller',
    ]);
    const kind = find(synth(['ingressNginx.upstreamKeepalive=100']).objects, 'ConfigMap', 'ingress-nginx-controller');
    expect(list[0].data).toEqual(kind.data);
    expect(list[0].data['upstream-keepalive-connections']).toBe('100');
  });

  it('left out with ingressNginx.enabled=false, and so is the Ingress (it would make the topology look deployed)', () => {
    for (const sets of [
      ['cluster=minikube', 'ingressNginx.enabled=false'],
      ['cluster=generic', 'ingressNginx.enabled=false'],
    ]) {
      const { charts, objects } = synth(sets);
      expect(charts.has('ingress-nginx'), sets.join(' ')).toBe(false);
      expect(charts.has('ingress'), sets.join(' ')).toBe(false);
      expect(objects.some((o) => o.metadata.namespace === 'ingress-nginx')).toBe(false);
      expect(objects.some((o) => o.kind === 'Ingress')).toBe(false);
    }
    expect(find(synth(['cluster=minikube']).objects, 'Ingress', 'hello').spec.ingressClassName).toBe('nginx');
  });
});

describe('charts: the benchmark controller', () => {
  const { objects } = synth();

  it('the Benchmark CRD: clusterbench.dev/v1alpha1, namespaced, status subresource, the API schema', () => {
    const crd = find(objects, 'CustomResourceDefinition', `benchmarks.${BENCHMARK_GROUP}`);
    expect(crd.spec.scope).toBe('Namespaced');
    expect(crd.spec.names.kind).toBe('Benchmark');
    const [version] = crd.spec.versions;
    expect(version.name).toBe(BENCHMARK_VERSION);
    expect(version.subresources).toEqual({ status: {} });
    expect(version.schema.openAPIV3Schema).toEqual(benchmarkCrdSchema);
    expect(version.additionalPrinterColumns.map((c: any) => c.name)).toEqual(benchmarkPrinterColumns.map((c) => c.name));
    const spec = version.schema.openAPIV3Schema.properties.spec;
    expect(spec.required).toEqual(['topologies']);
    expect(spec.properties.topologies.items.enum).toEqual(['single', 'nginx', 'ingress-nginx', 'rpc-gateway']);
    expect(spec.properties.runners).toMatchObject({ minimum: 1, maximum: 100 });
  });

  it('ClusterRoles the built-in edit and view aggregate: edit writes Benchmarks, view reads them', () => {
    const { objects } = synth();
    const editor = find(objects, 'ClusterRole', 'clusterbench-benchmark-editor');
    const viewer = find(objects, 'ClusterRole', 'clusterbench-benchmark-viewer');
    expect(editor.metadata.labels).toMatchObject({
      'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
      'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
    });
    expect(editor.metadata.labels?.['rbac.authorization.k8s.io/aggregate-to-view']).toBeUndefined();
    expect(viewer.metadata.labels).toMatchObject({ 'rbac.authorization.k8s.io/aggregate-to-view': 'true' });
    expect(editor.rules).toEqual([
      {
        apiGroups: ['clusterbench.dev'],
        resources: ['benchmarks'],
        verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
      },
    ]);
    expect(viewer.rules.flatMap((r: any) => r.resources)).toEqual(['benchmarks', 'benchmarks/status']);
    for (const rule of viewer.rules) expect(rule.verbs).toEqual(['get', 'list', 'watch']);
    // Nothing binds them: the cluster's own bindings of edit and view do.
    expect(objects.filter((o) => /Binding$/.test(o.kind) && o.roleRef?.name?.startsWith('clusterbench-benchmark'))).toEqual([]);
  });

  it('a Role of exactly the calls it makes, bound to its own ServiceAccount', () => {
    const role = find(objects, 'Role', 'clusterbench-controller');
    const granted = role.rules
      .flatMap((r: any) =>
        r.apiGroups.flatMap((g: string) => r.resources.flatMap((res: string) => r.verbs.map((v: string) => `${g}/${res}:${v}`))),
      )
      .sort();
    const wanted = controllerRbacRules
      .flatMap((r) => r.apiGroups.flatMap((g) => r.resources.flatMap((res) => r.verbs.map((v) => `${g}/${res}:${v}`))))
      .sort();
    expect(granted).toEqual(wanted);
    const binding = find(objects, 'RoleBinding', 'clusterbench-controller');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'clusterbench-controller' });
    // The one cluster-wide call, `get` of a node for the report, in a ClusterRole named for the namespace.
    const nodeReader = find(objects, 'ClusterRole', 'clusterbench-controller-nodes-clusterbench');
    expect(nodeReader.rules).toEqual(controllerNodeRbacRules);
    expect(nodeReader.metadata.namespace).toBeUndefined();
    expect(find(objects, 'ClusterRoleBinding', 'clusterbench-controller-nodes-clusterbench').subjects).toEqual([
      { kind: 'ServiceAccount', name: 'clusterbench-controller', namespace: 'clusterbench' },
    ]);
    expect(binding.subjects).toMatchObject([{ kind: 'ServiceAccount', name: 'clusterbench-controller', namespace: 'clusterbench' }]);
  });

  it('is replaced, never rolled: strategy Recreate (with the Lease, never two controllers)', () => {
    expect(find(objects, 'Deployment', 'clusterbench-controller').spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('runs `node build/src/cli.js controller` with its namespace and the runner image; a Service on 8080', () => {
    const c = containersOf(find(objects, 'Deployment', 'clusterbench-controller'))[0];
    expect(c.command).toEqual(['node', 'build/src/cli.js', 'controller']);
    expect(envOf(c)).toMatchObject({
      CLUSTERBENCH_NAMESPACE: { fieldRef: { fieldPath: 'metadata.namespace' } },
      CLUSTERBENCH_IMAGE: 'clusterbench/bench:test1',
    });
    expect(find(objects, 'Service', 'clusterbench-controller').spec.ports).toEqual([{ name: 'http', port: 8080, targetPort: 8080 }]);
  });
});
