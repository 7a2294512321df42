/** The cluster's sub-commands: `controller` (the bench image's entry point) and `runner` (a load Job's pod). */
import type { Command } from 'commander';
import { LOAD_MODES } from '../api/benchmark.js';
import { TOPOLOGIES } from '../topologies.js';
import { parseDurationMs, parseEnum, parseInteger } from '../../loadtest/parse.js';
import { UsageError } from '../../loadtest/usage-error.js';
import { NAMESPACE as DEFAULT_NAMESPACE, controllerUrl as controllerServiceUrl } from '../api/objects.js';
import { RUNNERS_PATH, RUNNER_TOKEN_ENV } from './protocol.js';

interface ControllerFlags {
  namespace?: string;
  image?: string;
  port: string;
  controllerUrl?: string;
}

interface RunnerFlags {
  controller: string;
  job: string;
  index?: string;
  url: string;
  topology: string;
  trial: string;
  runners: string;
  mode: string;
  connections: string;
  rate?: string;
  duration: string;
  warmup: string;
  timeout: string;
  startDeadline?: string;
}

export function registerControllerCommands(program: Command): void {
  program
    .command('controller')
    .description('Run the Benchmark controller: Benchmarks in, load Jobs out, a ConfigMap report at the end.')
    .option('--namespace <ns>', `namespace to watch (env CLUSTERBENCH_NAMESPACE; default ${DEFAULT_NAMESPACE})`)
    .option('--image <ref>', 'image of the runner Jobs (env CLUSTERBENCH_IMAGE)')
    .option('--port <n>', "port of the runners' WebSocket and /healthz", '8080')
    .option('--controller-url <url>', 'what runners dial (default ws://clusterbench-controller.<namespace>.svc:<port>/runners)')
    .action(async (flags: ControllerFlags) => {
      const namespace = flags.namespace ?? process.env.CLUSTERBENCH_NAMESPACE ?? DEFAULT_NAMESPACE;
      const image = flags.image ?? process.env.CLUSTERBENCH_IMAGE;
      if (!image) throw new UsageError('--image: required (or env CLUSTERBENCH_IMAGE): the bench image the runner Jobs run');
      const port = parseInteger('--port', flags.port, 0, 65_535);
      const controllerUrl =
        flags.controllerUrl ?? process.env.CLUSTERBENCH_CONTROLLER_URL ?? controllerServiceUrl(namespace, port, RUNNERS_PATH);
      // Loaded here, not at the top: every clusterbench command would pay for client-node's start-up.
      const [{ BenchmarkController }, { loadKubeConfig }] = await Promise.all([import('./controller.js'), import('../kube/kube.js')]);
      let lost = false;
      const controller = new BenchmarkController({
        kc: loadKubeConfig(),
        namespace,
        image,
        port,
        controllerUrl,
        ...(process.env.POD_NAME ? { identity: process.env.POD_NAME } : {}),
        // Another replica leads now: exit, and the Deployment's restart makes this one a candidate again.
        onLeadershipLost: () => {
          lost = true;
          process.exitCode = 1;
          process.emit('SIGTERM');
        },
      });
      await controller.start();
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
      if (!lost) await controller.stop();
    });

  program
    .command('runner')
    .description("Run one load runner of a Benchmark Job: wait for the controller's start time, load, report the result.")
    .requiredOption('--controller <url>', "the controller's runner socket, ws://host:port/runners")
    .requiredOption('--job <name>', 'the Job this runner belongs to')
    .option('--index <n>', 'runner index (default: env JOB_COMPLETION_INDEX)')
    .requiredOption('--url <url>', 'target URL')
    .requiredOption('--topology <name>', `topology: ${TOPOLOGIES.join(', ')}`)
    .requiredOption('--trial <n>', 'trial number')
    .requiredOption('--runners <n>', 'runners in the Job (connections and rate are split between them)')
    .option('--mode <mode>', `${LOAD_MODES.join(' or ')}`, 'closed')
    .requiredOption('--connections <n>', 'connections over all runners')
    .option('--rate <n>', 'open loop: requests per second over all runners')
    .requiredOption('--duration <d>', 'measured time, e.g. 10s')
    .option('--warmup <d>', 'unmeasured time before, e.g. 2s', '0s')
    .option('--timeout <d>', 'per-request timeout', '5s')
    .option('--start-deadline <d>', 'how long to wait for the start time', '180s')
    .action(async (flags: RunnerFlags) => {
      const runners = parseInteger('--runners', flags.runners, 1, 1000);
      const index = parseInteger('--index', flags.index ?? process.env.JOB_COMPLETION_INDEX ?? '', 0, runners - 1);
      const mode = parseEnum('--mode', flags.mode, LOAD_MODES);
      const token = process.env[RUNNER_TOKEN_ENV];
      if (!token) throw new UsageError(`env ${RUNNER_TOKEN_ENV}: required: the Job's token, from the Secret the controller made for it`);
      const [{ runRunner }, { runLoad }] = await Promise.all([import('./runner.js'), import('../../loadtest/index.js')]);
      const interrupt = new AbortController();
      process.once('SIGTERM', () => interrupt.abort());
      process.exitCode = await runRunner({
        controllerUrl: flags.controller,
        job: flags.job,
        index,
        token,
        runners,
        load: {
          url: flags.url,
          mode,
          connections: parseInteger('--connections', flags.connections, runners),
          ...(flags.rate === undefined ? {} : { rate: parseInteger('--rate', flags.rate, runners) }),
          durationMs: parseDurationMs('--duration', flags.duration),
          warmupMs: parseDurationMs('--warmup', flags.warmup, { allowZero: true }),
          timeoutMs: parseDurationMs('--timeout', flags.timeout),
          topology: parseEnum('--topology', flags.topology, TOPOLOGIES),
          trial: parseInteger('--trial', flags.trial),
        },
        startDeadlineMs: parseDurationMs('--start-deadline', flags.startDeadline ?? '180s'),
        runLoad,
        signal: interrupt.signal,
      });
    });
}
