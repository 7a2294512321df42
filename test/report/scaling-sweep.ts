/** The replica sweep the scaling suites share: two topologies whose throughput follows known USL laws. */
import { buildReport, buildScaling, uslThroughput, type Report, type ScalingRun } from '../../src/report/index.js';
import { loadResult, repeat } from './load-results.js';
import { limitedEnvironment } from './report-input.js';

const NGINX = { sigma: 0.06, kappa: 0.004, lambda: 1000 };
const GATEWAY = { sigma: 0.2, kappa: 0, lambda: 800 };

/** A sweep as part 2 will hand it over: hello servers at 0.25 CPU each, a balancer and a load generator of one CPU each, on 2 CPUs. */
export function sweep(): Report {
  const runs: ScalingRun[] = [];
  for (const [topology, law, counts] of [
    ['nginx', NGINX, [1, 2, 3, 4, 6]],
    ['rpc-gateway', GATEWAY, [1, 2, 4]],
  ] as const) {
    for (const replicas of counts) {
      const x = uslThroughput(law, replicas);
      runs.push({
        topology,
        replicas,
        results: [0.97, 1.0, 1.03].map((f, i) =>
          loadResult({ topology, trial: i + 1, throughputRps: x * f, latenciesUs: repeat(900, 20) }),
        ),
        cpuUse: [1, 2, 3].map((trial) => ({
          topology,
          trial,
          cpus: {
            [topology]: 0.4,
            'load generator': 0.9,
            ...Object.fromEntries(Array.from({ length: replicas }, (_, k) => [`hello-${k + 1}`, 0.2 + 0.01 * k])),
          },
        })),
        requestedCpus: 0.25 * replicas + 2 * 0.5,
      });
    }
  }
  const report = buildReport({
    scenario: { name: 'quick', mode: 'closed', connections: 64, rate: null, durationMs: 5000, warmupMs: 1000, trials: 3 },
    environment: limitedEnvironment('local (test)'),
    results: runs.filter((r) => r.replicas === 2).flatMap((r) => r.results),
    createdAt: new Date('2026-01-02T03:04:05Z'),
  });
  return { ...report, scaling: buildScaling({ runs, availableCpus: 2 }) };
}
