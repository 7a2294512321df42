import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CONFIG_KEYS, defaultConfig, parseSetting, resolveConfig } from '../../src/config/config.js';
import { loadConfig } from '../../src/config/load-config.js';
import { UsageError } from '../../loadtest/usage-error.js';

const dir = mkdtempSync(join(tmpdir(), 'clusterbench-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('configuration', () => {
  it('defaults: kind, three hellos, ingress-nginx on', () => {
    const config = resolveConfig(undefined, []);
    expect(config).toEqual(defaultConfig('kind'));
    expect(config.hello.replicas).toBe(3);
    expect(config.ingressNginx.enabled).toBe(true);
    expect(resolveConfig(undefined, ['cluster=minikube']).cluster).toBe('minikube');
    expect(resolveConfig(undefined, ['ingressNginx.enabled=false', 'cluster=minikube']).ingressNginx.enabled).toBe(false);
  });

  it('--set overrides the file, which overrides the defaults; values are typed', () => {
    const file = join(dir, 'c.yaml');
    writeFileSync(file, 'hello:\n  replicas: 2\n  cpu: 250m\nimages:\n  registry: localhost:5000/cb\n');
    const config = loadConfig({ configFile: file, sets: ['hello.replicas=4', 'ingressNginx.enabled=false'] });
    expect(config.hello.replicas).toBe(4);
    expect(config.hello.cpu).toBe('250m');
    expect(config.images.registry).toBe('localhost:5000/cb');
    expect(config.ingressNginx.enabled).toBe(false);
    expect(config.nginx.cpu).toBe(defaultConfig().nginx.cpu);
  });

  const bad: [string, RegExp][] = [
    ['cluster=k3s', /^cluster: "k3s" is not allowed \(allowed: kind, minikube, generic\)$/],
    ['hello.replicas=0', /^hello\.replicas: "0" must be a whole number, 1 to 16$/],
    ['hello.replicas=three', /hello\.replicas/],
    ['hello.cpu=fast', /^hello\.cpu: "fast" is not a CPU quantity/],
    ['hello.memory=64MB', /^hello\.memory: "64MB" is not a memory quantity/],
    ['hello.cpuRequest=2', /^hello\.cpuRequest: "2" exceeds hello\.cpu "500m"/],
    ['hello.work=soon', /^hello\.work: "soon" is not a duration/],
    ['images.tag=latest', /^images\.tag: "latest"/],
    ['images.tag=a b', /^images\.tag/],
    ['images.registry=UPPER/case', /^images\.registry/],
    ['nginx.image=nginx', /^nginx\.image: "nginx" is not a pinned image reference/],
    ['nginx.image=nginx:latest', /^nginx\.image/],
    ['rpcGateway.balancer=random', /allowed: p2c, round-robin/],
    ['ingressNginx.enabled=yes', /allowed: true, false/],
    ['nope=1', /^nope: unknown setting \(keys: cluster, namespace, images\.registry/],
    ['namespace=Bench', /^namespace: "Bench" is not a namespace name/],
    ['namespace=kube-system', /^namespace: "kube-system" is not allowed/],
    ['namespace=ingress-nginx', /^namespace: "ingress-nginx" is not allowed/],
    ['hello.cpu', /^--set: "hello\.cpu" is not key=value/],
  ];
  for (const [setting, message] of bad) {
    it(`rejects --set ${setting} with a one-line error naming the key`, () => {
      expect(() => resolveConfig(undefined, [setting])).toThrow(UsageError);
      expect(() => resolveConfig(undefined, [setting])).toThrow(message);
    });
  }

  it('rejects a bad config file: unreadable, not YAML, unknown key, wrong shape', () => {
    const notYaml = join(dir, 'bad.yaml');
    writeFileSync(notYaml, 'hello: [unclosed\n');
    const unknown = join(dir, 'unknown.yaml');
    writeFileSync(unknown, 'hello:\n  cores: 2\n');
    const list = join(dir, 'list.yaml');
    writeFileSync(list, '- a\n');
    expect(() => loadConfig({ configFile: join(dir, 'missing.yaml') })).toThrow(/--config: cannot read .*ENOENT/);
    expect(() => loadConfig({ configFile: notYaml })).toThrow(/is not YAML/);
    expect(() => loadConfig({ configFile: unknown })).toThrow(/^hello\.cores: unknown setting/);
    expect(() => loadConfig({ configFile: list })).toThrow(/must be a mapping/);
  });

  it('every key parses its own default back', () => {
    const defaults = defaultConfig() as unknown as Record<string, Record<string, unknown>>;
    for (const key of CONFIG_KEYS) {
      const [section, field] = key.split('.');
      const value = field === undefined ? defaults[section] : defaults[section][field];
      if (value === '') continue; // images.tag, hello.work, hello.delay: empty means "none"
      expect(parseSetting(`${key}=${String(value)}`), key).toEqual([key, value]);
    }
  });
});
