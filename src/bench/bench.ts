/**
 * `clusterbench bench`: validate the options (exit 2 before touching the cluster), create the
 * Benchmark, follow its status, print and save its report. `clusterbench report`: print a
 * finished Benchmark's report again.
 */
import { join } from 'node:path';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import {
  BENCHMARK_API_VERSION,
  BENCHMARK_GROUP,
  BENCHMARK_KIND,
  BENCHMARK_PLURAL,
  BENCHMARK_VERSION,
  type Benchmark,
  type BenchmarkStatus,
} from '../api/benchmark.js';
import { reportConfigMapName } from '../api/objects.js';
import type { BenchmarkPlan } from '../api/validate.js';
import { clusterErrorLine } from '../kube/kube.js';
import { reportNodeWarning, writeReportFiles, type Report, type ReportFiles } from '../report/index.js';
import type { BenchRequest } from './request.js';

/** One short line for the user; the CLI prints it and exits 1 (no stack trace). */
export class BenchFailure extends Error {}

/** How long to wait at most: every run, with time for pods to start, plus a margin. */
export function waitBudgetMs(plan: BenchmarkPlan): number {
  const runs = plan.topologies.length * plan.trials;
  return runs * (plan.warmupMs + plan.durationMs + 240_000) + 300_000;
}

/** One status line: a bar on a terminal, a plain line otherwise. */
export function progressLine(status: BenchmarkStatus | undefined, width = 24): string {
  const p = status?.progress;
  const done = p?.completedRuns ?? 0;
  const total = p?.totalRuns ?? 0;
  const filled = total > 0 ? Math.round((done / total) * width) : 0;
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const run = p?.topology ? ` · ${p.topology} trial ${p.trial}` : '';
  const live =
    p?.topology && p.runnersReady !== undefined
      ? p.rps !== undefined && p.elapsedMs
        ? ` · ${p.warmup ? 'warmup' : `${Math.round(p.elapsedMs / 1000)} s`} · ${Math.round(p.rps).toLocaleString('en-US')} req/s · ${p.errors ?? 0} errors`
        : ` · ${p.runnersReady}/${p.runners} runners ready`
      : '';
  const queued = status?.conditions?.find((c) => c.type === 'Queued' && c.status === 'True');
  return `${status?.phase ?? 'Pending'} ${bar} ${done}/${total} runs${run}${live}${queued ? ` · ${queued.message}` : ''}`;
}

export interface BenchIo {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly tty: boolean;
  readonly pollMs?: number;
  readonly signal?: AbortSignal;
}

function api(kc: KubeConfig) {
  return { custom: kc.makeApiClient(CustomObjectsApi), core: kc.makeApiClient(CoreV1Api) };
}

/** Runs a call against the cluster; any failure becomes one line naming the context. */
async function talk<T>(kc: KubeConfig, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw new BenchFailure(clusterErrorLine(kc, err));
  }
}

/** Creates the Benchmark, follows it, prints and saves its report; returns the exit code. */
export async function runBench(kc: KubeConfig, request: BenchRequest, plan: BenchmarkPlan, outDir: string, io: BenchIo): Promise<number> {
  const { custom } = api(kc);
  const { name, namespace } = request;
  const body: Benchmark = { apiVersion: BENCHMARK_API_VERSION, kind: BENCHMARK_KIND, metadata: { name, namespace }, spec: request.spec };
  try {
    await custom.createNamespacedCustomObject({
      group: BENCHMARK_GROUP,
      version: BENCHMARK_VERSION,
      namespace,
      plural: BENCHMARK_PLURAL,
      body,
    });
  } catch (err) {
    // 404: no Benchmark CRD (or no namespace): clusterbench is not deployed in this cluster.
    if ((err as { code?: unknown })?.code === 404) {
      throw new BenchFailure(
        `no Benchmark resource in namespace ${namespace} (context ${kc.getCurrentContext()}): deploy clusterbench first (make deploy)`,
      );
    }
    throw new BenchFailure(clusterErrorLine(kc, err));
  }
  io.err(
    `benchmark ${name} created in namespace ${namespace}: ${plan.topologies.join(', ')}, ${plan.trials} trial(s), ${plan.runners} runner(s)\n`,
  );

  // The budget counts from when it stops waiting behind another Benchmark.
  let deadline = Date.now() + waitBudgetMs(plan);
  const pollMs = io.pollMs ?? 1_000;
  let last = '';
  let hinted = false;
  const startedAt = Date.now();
  let benchmark: Benchmark;
  for (;;) {
    benchmark = await talk(
      kc,
      () =>
        custom.getNamespacedCustomObject({
          group: BENCHMARK_GROUP,
          version: BENCHMARK_VERSION,
          namespace,
          plural: BENCHMARK_PLURAL,
          name,
        }) as Promise<Benchmark>,
    );
    const line = progressLine(benchmark.status);
    const p = benchmark.status?.progress;
    // Off a terminal, one line per run (and per phase change), not one per poll.
    const queued = benchmark.status?.conditions?.find((c) => c.type === 'Queued' && c.status === 'True');
    const step = `${benchmark.status?.phase}|${p?.completedRuns}|${p?.topology}|${p?.trial}|${queued?.message}`;
    if (io.tty) io.err(`\r${line}\x1b[K`);
    else if (step !== last) io.err(`${line}\n`);
    last = step;
    const phase = benchmark.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') break;
    if (!benchmark.status && !hinted && Date.now() - startedAt > 60_000) {
      hinted = true;
      io.err(
        `${io.tty ? '\n' : ''}no status after 60 s: is the controller running? (kubectl -n ${namespace} get deploy clusterbench-controller)\n`,
      );
    }
    if (queued) deadline = Date.now() + waitBudgetMs(plan);
    if (Date.now() > deadline)
      throw new BenchFailure(
        `benchmark ${name}: not finished after ${Math.round(waitBudgetMs(plan) / 60_000)} min; it keeps running: clusterbench report ${name}`,
      );
    if (io.signal?.aborted)
      throw new BenchFailure(
        `interrupted; benchmark ${name} keeps running in the cluster: clusterbench report ${name} prints its report later`,
      );
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  if (io.tty) io.err('\n');
  for (const c of benchmark.status?.conditions ?? []) {
    if (c.status === 'True' && c.type !== 'RunRetried') io.err(`${c.type}: ${c.message}\n`);
  }
  let failed: string[] = [];
  if (benchmark.status?.reportConfigMap) {
    const { markdown, files, report } = await fetchReport(kc, namespace, name, join(outDir, name));
    io.out(markdown);
    io.err(`Report: ${files.markdown}, ${files.html}, ${files.json}\n`);
    const shared = reportNodeWarning(report);
    if (shared) io.err(`warning: ${shared}\n`);
    failed = report.topologies.filter((t) => t.failed).map((t) => t.name);
    if (failed.length > 0) io.err(`failed (too many errors): ${failed.join(', ')}\n`);
  }
  return benchmark.status?.phase === 'Succeeded' && failed.length === 0 ? 0 : 1;
}

/** Reads `<name>-report`; writes the files (report.json, .md, .html) when `dir` is given. */
export async function fetchReport(
  kc: KubeConfig,
  namespace: string,
  name: string,
  dir?: string,
): Promise<{ markdown: string; files: ReportFiles; report: Report }> {
  const { core } = api(kc);
  const configMapName = reportConfigMapName(name);
  let data: Record<string, string> | undefined;
  try {
    data = (await core.readNamespacedConfigMap({ name: configMapName, namespace })).data;
  } catch (err) {
    if ((err as { code?: unknown })?.code === 404)
      throw new BenchFailure(
        `no report for benchmark ${name}: ConfigMap ${configMapName} not found in namespace ${namespace} (not finished yet?)`,
      );
    throw new BenchFailure(clusterErrorLine(kc, err));
  }
  const markdown = data?.['report.md'];
  const json = data?.['report.json'];
  if (!markdown || !json) throw new BenchFailure(`ConfigMap ${configMapName} lacks report.md or report.json`);
  const report = JSON.parse(json) as Report;
  const files = dir ? await writeReportFiles(dir, report) : { markdown: '', html: '', json: '' };
  return { markdown, files, report };
}
