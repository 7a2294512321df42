import { resolve } from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_SCENARIO, SCENARIO_NAMES, SCENARIOS, type Scenario } from '../scenarios.js';
import { LOCAL_TOPOLOGIES, type LocalTopology } from '../topologies.js';
import { LOAD_LIMITS } from '../../loadtest/limits.js';
import { ensureOpenFiles } from '../../loadtest/open-files.js';
import { checkOutputFolder } from '../../loadtest/output-path.js';
import {
  parseAscendingIntegers,
  parseDurationMs,
  parseEnum,
  parseEnumList,
  parseInteger,
  parsePositiveNumber,
} from '../../loadtest/parse.js';
import { parseMaxErrors } from '../../loadtest/cli.js';
import { UsageError } from '../../loadtest/usage-error.js';
import { runLocal, type LocalRunOptions } from './run-local.js';

interface LocalFlags {
  scenario: string;
  topologies?: string;
  trials?: string;
  connections?: string;
  duration?: string;
  warmup?: string;
  cpusPerServer?: string;
  work?: string;
  failover?: boolean;
  maxErrors?: string;
  replicas?: string;
  out: string;
}

/** The most hello servers a local sweep starts: beyond that, on a few cores, it measures the scheduler. */
export const MAX_LOCAL_REPLICAS = LOAD_LIMITS.replicas.max;

/** The run's options; `replicas` always said (null: no sweep, the three servers as always). */
export type LocalOptions = Omit<LocalRunOptions, 'signal'> & { readonly replicas: readonly number[] | null };

/** `clusterbench local`: the seed's comparison on this machine (the embedded default, `make local`). */
export function registerLocalCommands(program: Command): void {
  program
    .command('local')
    .description('Run single, nginx and rpc-gateway as processes on this machine, load each the same way, write the report.')
    .option('--scenario <name>', `load scenario: ${SCENARIO_NAMES.join(', ')}`, DEFAULT_SCENARIO)
    .option('--topologies <list>', `comma-separated, from: ${LOCAL_TOPOLOGIES.join(', ')}`, LOCAL_TOPOLOGIES.join(','))
    .option('--trials <n>', "trials per topology (default: the scenario's)")
    .option('--connections <n>', "concurrent connections (default: the scenario's)")
    .option('--duration <d>', "measured time per run, e.g. 10s (default: the scenario's)")
    .option('--warmup <d>', "unmeasured time before each run, e.g. 2s, 0 for none (default: the scenario's)")
    .option('--cpus-per-server <x>', 'CPU quota of each hello server, e.g. 0.25 (a cgroup per server)')
    .option('--work <d>', 'CPU work per request in the hello servers, e.g. 200us')
    .option('--failover', 'kill one of the three hello servers halfway through the last nginx and rpc-gateway trials, restart it')
    .option(
      '--max-errors <percent>',
      "a topology whose failed requests exceed this share failed (exit 1); a failover drill's own errors count apart",
      '1%',
    )
    .option(
      '--replicas <list>',
      `hello servers behind each balancer, a sweep, e.g. 1,2,3,4,6 (whole numbers 1 to ${MAX_LOCAL_REPLICAS}, ascending; default: 3, no sweep)`,
    )
    .option('--out <dir>', 'reports go to DIR/<time>/', 'reports')
    .action(async (flags: LocalFlags) => {
      const options = parseLocalFlags(flags);
      checkOutputFolder('--out', flags.out);
      ensureOpenFiles('--connections', options.scenario.connections);
      const interrupt = new AbortController();
      const onSignal = (signal: NodeJS.Signals) => {
        process.stderr.write(`clusterbench: ${signal}: stopping every process\n`);
        interrupt.abort();
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      try {
        const run = await runLocal({ ...options, signal: interrupt.signal });
        process.stdout.write(`${run.markdown}\nReport: ${run.files.markdown}, ${run.files.html}, ${run.files.json}\n`);
        const failed = run.report.topologies.filter((t) => t.failed).map((t) => t.name);
        if (failed.length > 0) {
          process.stderr.write(`clusterbench: failed (too many errors): ${failed.join(', ')}\n`);
          process.exitCode = 1;
        }
      } finally {
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
    });
}

/** Flags to run options; every bad value is a UsageError (exit 2) before anything starts. */
export function parseLocalFlags(flags: LocalFlags): LocalOptions {
  const named = SCENARIOS[parseEnum('--scenario', flags.scenario, SCENARIO_NAMES)];
  const scenario: Scenario = {
    ...named,
    ...(flags.trials !== undefined
      ? { trials: parseInteger('--trials', flags.trials, LOAD_LIMITS.trials.min, LOAD_LIMITS.trials.max) }
      : {}),
    ...(flags.connections !== undefined
      ? { connections: parseInteger('--connections', flags.connections, LOAD_LIMITS.connections.min, LOAD_LIMITS.connections.max) }
      : {}),
    ...(flags.duration !== undefined ? { durationMs: parseDurationMs('--duration', flags.duration) } : {}),
    ...(flags.warmup !== undefined ? { warmupMs: parseDurationMs('--warmup', flags.warmup, { allowZero: true }) } : {}),
  };
  const topologies: LocalTopology[] = parseEnumList('--topologies', flags.topologies ?? LOCAL_TOPOLOGIES.join(','), LOCAL_TOPOLOGIES);
  const replicas = flags.replicas === undefined ? null : parseAscendingIntegers('--replicas', flags.replicas, 1, MAX_LOCAL_REPLICAS);
  if (replicas !== null && !topologies.some((t) => t !== 'single')) {
    throw new UsageError(`--replicas: needs a balanced topology in --topologies (nginx, rpc-gateway); single is one server`);
  }
  if (replicas !== null && flags.failover)
    throw new UsageError('--replicas: cannot be combined with --failover (it kills one of three servers)');
  const workMs = flags.work === undefined ? undefined : parseDurationMs('--work', flags.work, { allowZero: true });
  // In a form Go's time.ParseDuration reads (it has no bare numbers).
  const work = workMs === undefined ? undefined : workMs < 1 ? `${Math.round(workMs * 1000)}us` : `${workMs}ms`;
  return {
    scenario,
    topologies,
    cpusPerServer: flags.cpusPerServer === undefined ? null : parsePositiveNumber('--cpus-per-server', flags.cpusPerServer),
    work,
    failover: flags.failover === true,
    ...(flags.maxErrors === undefined ? {} : { maxErrors: parseMaxErrors('--max-errors', flags.maxErrors) }),
    replicas,
    outDir: resolve(flags.out),
    log: (line) => process.stderr.write(`${line}\n`),
  };
}
