/** `clusterbench bench` and `clusterbench report`: the user's side of the Benchmark resource. */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import type { BenchmarkLoadSpec, BenchmarkSpec } from '../api/benchmark.js';
import { LOAD_MODES } from '../api/benchmark.js';
import { NAMESPACE as DEFAULT_NAMESPACE } from '../api/objects.js';
import { SCENARIO_NAMES } from '../scenarios.js';
import { TOPOLOGIES } from '../topologies.js';
import { checkOutputFolder } from '../../loadtest/output-path.js';
import { parseAscendingIntegers, parseEnum, parseEnumList } from '../../loadtest/parse.js';
import { LOAD_LIMITS } from '../../loadtest/limits.js';
import { UsageError } from '../../loadtest/usage-error.js';
import { checkRequest, defaultBenchmarkName, type BenchRequest } from './request.js';

interface BenchFlags {
  name?: string;
  namespace: string;
  scenario?: string;
  topologies: string;
  trials?: string;
  runners?: string;
  mode?: string;
  connections?: string;
  rate?: string;
  duration?: string;
  warmup?: string;
  timeout?: string;
  killAfter?: string;
  replicas?: string;
  out: string;
}

/**
 * A whole-number flag, or a UsageError in the words of the CRD schema's check, which still checks
 * its range (checkRequest).
 */
function wholeNumber(flag: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`${flag}: "${value}" is not a whole number`);
  return Number(value);
}

/** Flags to a Benchmark: names and numbers parsed here, every other check the CRD schema's (checkRequest). */
export function benchRequest(flags: BenchFlags, now = new Date()): BenchRequest {
  const load: BenchmarkLoadSpec = Object.fromEntries(
    Object.entries({
      mode: flags.mode === undefined ? undefined : parseEnum('--mode', flags.mode, LOAD_MODES),
      connections: wholeNumber('--connections', flags.connections),
      rate: wholeNumber('--rate', flags.rate),
      duration: flags.duration,
      warmup: flags.warmup,
      timeout: flags.timeout,
    }).filter(([, v]) => v !== undefined),
  );
  const spec: BenchmarkSpec = {
    topologies: parseEnumList('--topologies', flags.topologies, TOPOLOGIES),
    ...(flags.scenario === undefined ? {} : { scenario: parseEnum('--scenario', flags.scenario, SCENARIO_NAMES) }),
    ...(Object.keys(load).length > 0 ? { load } : {}),
    ...(flags.runners === undefined ? {} : { runners: wholeNumber('--runners', flags.runners) }),
    ...(flags.trials === undefined ? {} : { trials: wholeNumber('--trials', flags.trials) }),
    ...(flags.killAfter === undefined ? {} : { failover: { killAfter: flags.killAfter } }),
    ...(flags.replicas === undefined
      ? {}
      : { replicas: parseAscendingIntegers('--replicas', flags.replicas, LOAD_LIMITS.replicas.min, LOAD_LIMITS.replicas.max) }),
  };
  return { name: flags.name ?? defaultBenchmarkName(now), namespace: flags.namespace, spec };
}

export function registerBenchCommands(program: Command): void {
  program
    .command('bench')
    .description('Run a Benchmark in the cluster (the controller must be deployed): follow it, print and save its report.')
    .option('--name <name>', 'Benchmark name (default bench-<UTC time>)')
    .option('--namespace <ns>', 'namespace of the deployment', DEFAULT_NAMESPACE)
    .option('--scenario <name>', `load scenario: ${SCENARIO_NAMES.join(', ')} (default standard)`)
    .option('--topologies <list>', `comma-separated, from: ${TOPOLOGIES.join(', ')}`, TOPOLOGIES.join(','))
    .option('--trials <n>', "trials per topology (default: the scenario's)")
    .option('--runners <n>', 'load pods per run, started together; their results merge exactly (default 1)')
    .option('--mode <mode>', `${LOAD_MODES.join(' or ')} (default: the scenario's, open with --rate)`)
    .option('--connections <n>', "connections over all runners (default: the scenario's)")
    .option('--rate <n>', 'open loop: requests per second over all runners')
    .option('--duration <d>', "measured time per run, e.g. 10s (default: the scenario's)")
    .option('--warmup <d>', "unmeasured time before each run, e.g. 2s (default: the scenario's)")
    .option('--timeout <d>', 'per-request timeout (default 5s)')
    .option('--kill-after <d>', 'failover: delete one hello pod this long into the last trial of each balanced topology')
    .option(
      '--replicas <list>',
      `a replica sweep: the hello Deployment scaled to each count for every balanced topology, e.g. 1,2,3 (whole numbers ${LOAD_LIMITS.replicas.min} to ${LOAD_LIMITS.replicas.max}, ascending), then restored`,
    )
    .option('--out <dir>', 'the report files go to DIR/<name>/', 'reports')
    .action(async (flags: BenchFlags) => {
      const request = benchRequest(flags);
      const plan = checkRequest(request); // exit 2 here, before the cluster is touched
      checkOutputFolder('--out', flags.out);
      // Loaded here, not at the top: every clusterbench command would pay for client-node's start-up.
      const [{ loadKubeConfig }, { runBench }] = await Promise.all([import('../kube/kube.js'), import('./bench.js')]);
      const interrupt = new AbortController();
      const onSignal = () => interrupt.abort();
      process.once('SIGINT', onSignal);
      try {
        process.exitCode = await runBench(loadKubeConfig(), request, plan, resolve(flags.out), {
          out: (text) => process.stdout.write(text),
          err: (text) => process.stderr.write(text),
          tty: process.stderr.isTTY === true,
          signal: interrupt.signal,
        });
      } finally {
        process.off('SIGINT', onSignal);
      }
    });

  program
    .command('report')
    .description("Print a finished Benchmark's report (ConfigMap <name>-report) again.")
    .argument('<name>', 'the Benchmark')
    .option('--namespace <ns>', 'namespace of the deployment', DEFAULT_NAMESPACE)
    .option('--out <dir>', 'also write report.json, .md and .html into DIR/<name>/')
    .action(async (name: string, flags: { namespace: string; out?: string }) => {
      if (flags.out !== undefined) checkOutputFolder('--out', flags.out);
      const [{ loadKubeConfig }, { fetchReport }] = await Promise.all([import('../kube/kube.js'), import('./bench.js')]);
      const { markdown, files } = await fetchReport(
        loadKubeConfig(),
        flags.namespace,
        name,
        flags.out === undefined ? undefined : resolve(flags.out, name),
      );
      process.stdout.write(markdown);
      if (flags.out !== undefined) process.stderr.write(`Report: ${files.markdown}, ${files.html}, ${files.json}\n`);
    });
}
