/**
 * clusterbench's report (`clusterbench/report@1`, DESIGN.md "Report"), usable on its own by
 * `make local` and by the cluster's controller.
 *
 * - `buildReport({ scenario, environment, results, failover?, createdAt? }): Report`
 *   takes every `LoadResult` of a run (any topologies, trials and runners, any order). Per topology:
 *   the runners of each trial are merged with `mergeResults` (their throughputs add up); throughput
 *   is the median over trials with a 95% interval (Student t on the trials' mean, null with one
 *   trial); latency percentiles and the spectrum come from the histogram merged over all trials;
 *   errors with their total; each backend's share of responses; `ratioToSingle` against the
 *   `single` topology's median (null without it). `failover` events (`{ topology, trial, backend,
 *   killedAtMs, restartedAtMs }`, ms after the measured start) give each topology's errors and
 *   time to recover, read from that trial's per-second timeline.
 * - `renderMarkdown(report)`: the results table first (throughput, 95% interval, ratio to single,
 *   mean and p99 latency, errors) and one sentence with the answer; then each trial's throughput,
 *   latency, errors, backends, CPU, failover; the blog post's claim (not measured); environment.
 * - `renderHtml(report)`: one self-contained page, the same tables and sentence plus inline SVG
 *   charts after the answer (throughput with its interval, latency percentile spectrum on log
 *   scales, timeline), each titled, with units on its axes; no script.
 * - `writeReportFiles(dir, report)`: writes `report.json`, `report.md`, `report.html` into `dir`.
 * - `buildScaling({ runs, availableCpus })`: the optional `scaling` section from a replica sweep
 *   (per topology and replica count: throughput, ratio to one replica, linear line, USL fit
 *   `fitUsl`, CPUs asked for against the machine's); the renderers draw it when present.
 */
export { buildReport, summarizeFailover } from './build-report.js';
export { totalErrors } from '../../loadtest/verdict.js';
export { renderHtml } from './html.js';
export { renderMarkdown } from './markdown.js';
export { reportNodeWarning } from './nodes.js';
export { buildScaling } from './scaling.js';
export type * from './scaling-types.js';
export { fitUsl, uslThroughput, type UslCaution, type UslFit, type UslPoint } from './usl.js';
export { writeReportFiles, type ReportFiles } from './write.js';
export * from './types.js';
