/**
 * Placement (issue 18): `spec.placement.runners` of a Benchmark, validated with one-line errors and
 * applied to the runner Jobs; `servers.nodeSelector` of the config, validated by `--set` and applied
 * by the constructs to every server under test. (The CRD side against a real API server:
 * test/manifests/api-server.test.ts.)
 */
import { tmpdir } from 'node:os';
import { Testing } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { resolveBenchmarkSpec } from '../../src/api/validate.js';
import { parseNodeSelector } from '../../src/api/placement.js';
import { resolveConfig } from '../../src/config/config.js';
import { runnerJob } from '../../src/controller/runner-job.js';
import { createApp } from '../../charts/clusterbench-app.js';
import { plan, runnerJobProps } from './fixtures.js';

function problemOf(spec: unknown): string {
  const r = resolveBenchmarkSpec(spec);
  return 'problem' in r ? `${r.problem.field}: ${r.problem.message}` : 'ok';
}

const placed = (runners: unknown) => ({ topologies: ['nginx'], placement: { runners } });

describe('spec.placement.runners', () => {
  it('is optional and goes into the plan as written', () => {
    expect(resolveBenchmarkSpec({ topologies: ['nginx'] })).not.toHaveProperty('plan.runnerPlacement');
    const runners = {
      nodeSelector: { 'clusterbench.dev/pool': 'load' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'load', effect: 'NoSchedule' }],
    };
    expect(resolveBenchmarkSpec(placed(runners))).toMatchObject({ plan: { runnerPlacement: runners } });
  });

  it('names the field and what is allowed when it is wrong, in one line', () => {
    const cases: [unknown, string][] = [
      [{ zone: 'a' }, 'spec.placement.runners.zone: unknown field (allowed: nodeSelector, tolerations)'],
      [{ nodeSelector: { pool: 3 } }, 'spec.placement.runners.nodeSelector.pool: 3 is not a string'],
      [{ nodeSelector: ['pool=a'] }, 'spec.placement.runners.nodeSelector: ["pool=a"] is not an object'],
      [
        { nodeSelector: { 'bad key!': 'a' } },
        'spec.placement.runners.nodeSelector.bad key!: "bad key!" is not a label key (at most 63 letters, digits, - _ . starting and ending with a letter or digit, optionally after a DNS prefix and /)',
      ],
      [
        { nodeSelector: { pool: '-a' } },
        'spec.placement.runners.nodeSelector.pool: "-a" is not a label value (at most 63 letters, digits, - _ . starting and ending with a letter or digit, or empty)',
      ],
      [
        { tolerations: [{ operator: 'Sometimes' }] },
        'spec.placement.runners.tolerations[0].operator: "Sometimes" is not allowed (allowed: Exists, Equal)',
      ],
      [
        { tolerations: [{ key: 'a', effect: 'NoRun' }] },
        'spec.placement.runners.tolerations[0].effect: "NoRun" is not allowed (allowed: NoSchedule, PreferNoSchedule, NoExecute)',
      ],
      [
        { tolerations: [{ value: 'x' }] },
        'spec.placement.runners.tolerations[0].operator: must be Exists when key is empty (allowed: Exists)',
      ],
      [
        { tolerations: [{ key: 'a', operator: 'Exists', value: 'x' }] },
        'spec.placement.runners.tolerations[0].value: must be empty with operator Exists',
      ],
      [
        { tolerations: [{ key: 'a', effect: 'NoSchedule', tolerationSeconds: 5 }] },
        'spec.placement.runners.tolerations[0].tolerationSeconds: applies only with effect NoExecute (allowed: effect NoExecute, or no tolerationSeconds)',
      ],
      [
        { nodeSelector: Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, 'v'])) },
        'spec.placement.runners.nodeSelector: takes at most 16 entries',
      ],
    ];
    for (const [runners, message] of cases) expect(problemOf(placed(runners))).toBe(message);
    expect(problemOf(placed({ tolerations: [{ operator: 'Exists' }], nodeSelector: { 'example.com/pool': '' } }))).toBe('ok');
  });

  it("is applied to the runner Job's pods, the spread then counting only the nodes it allows", () => {
    const runnerPlacement = {
      nodeSelector: { 'clusterbench.dev/pool': 'load' },
      tolerations: [{ key: 'clusterbench.dev/load', operator: 'Exists' as const, effect: 'NoSchedule' as const }],
    };
    const pod = runnerJob(runnerJobProps(plan({ runnerPlacement }))).spec?.template.spec;
    expect(pod?.nodeSelector).toEqual(runnerPlacement.nodeSelector);
    expect(pod?.tolerations).toEqual(runnerPlacement.tolerations);
    expect(pod?.topologySpreadConstraints).toHaveLength(1);
    const anywhere = runnerJob(runnerJobProps(plan())).spec?.template.spec;
    expect(anywhere).not.toHaveProperty('nodeSelector');
    expect(anywhere).not.toHaveProperty('tolerations');
  });
});

describe('servers.nodeSelector', () => {
  it('parses key=value pairs, empty for any node, and says in one line what is wrong', () => {
    expect(parseNodeSelector('servers.nodeSelector', '')).toEqual({});
    expect(parseNodeSelector('servers.nodeSelector', 'example.com/pool=servers, zone=a')).toEqual({
      'example.com/pool': 'servers',
      zone: 'a',
    });
    expect(() => resolveConfig(undefined, ['servers.nodeSelector=pool'])).toThrow(
      /^servers\.nodeSelector: "pool" is not key=value \(e\.g\. servers\.nodeSelector=node-role\.example\.com\/servers=true\)$/,
    );
    expect(() => resolveConfig(undefined, ['servers.nodeSelector=pool=a,pool=b'])).toThrow(
      /^servers\.nodeSelector: "pool" is listed twice$/,
    );
    expect(() => resolveConfig(undefined, ['servers.nodeSelector=pool=a b'])).toThrow(
      /^servers\.nodeSelector\.pool: "a b" is not a label value/,
    );
    expect(() => resolveConfig({ servers: { nodeSelector: '/x=1' } }, [])).toThrow(/^servers\.nodeSelector\.\/x: "\/x" is not a label key/);
  });

  it('puts every server under test on the selected nodes, and nothing else', () => {
    const config = resolveConfig(undefined, ['cluster=kind', 'servers.nodeSelector=clusterbench.dev/pool=servers']);
    const objects = createApp(config, tmpdir()).charts.flatMap((c) => Testing.synth(c));
    const selectors = Object.fromEntries(
      objects.filter((o) => o.kind === 'Deployment').map((o) => [o.metadata.name, o.spec.template.spec.nodeSelector]),
    );
    const servers = { 'clusterbench.dev/pool': 'servers' };
    expect(selectors).toEqual({
      'hello-single': servers,
      hello: servers,
      nginx: servers,
      'rpc-gateway': servers,
      // ingress-nginx is one of the balancers compared; on kind it keeps the node with the port mappings.
      'ingress-nginx-controller': { 'kubernetes.io/os': 'linux', 'ingress-ready': 'true', ...servers },
      // The controller is not measured: it may run anywhere.
      'clusterbench-controller': undefined,
    });
    const unplaced = createApp(resolveConfig(undefined, ['cluster=generic']), tmpdir()).charts.flatMap((c) => Testing.synth(c));
    expect(unplaced.find((o) => o.metadata.name === 'hello')?.spec.template.spec).not.toHaveProperty('nodeSelector');
  });
});
