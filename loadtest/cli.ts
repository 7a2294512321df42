import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { parseDurationMs, parseInteger, parsePositiveNumber } from './parse.js';
import { UsageError } from './usage-error.js';
import { formatSummary, progressPrinter } from './format.js';
import { LOAD_LIMITS } from './limits.js';
import { mergeResults } from './merge.js';
import { ensureOpenFiles } from './open-files.js';
import { checkOutputFile } from './output-path.js';
import { checkMergeable, validateLoadResult } from './result-schema.js';
import { runLoad, validateLoadOptions } from './run-load.js';
import type { LoadOptions, LoadResult } from './types.js';
import { isFailed } from './verdict.js';

interface LoadFlags {
  connections: string;
  rate?: string;
  duration: string;
  warmup: string;
  timeout: string;
  workers?: string;
  keepalive: boolean;
  json?: boolean;
  out?: string;
  topology?: string;
  trial?: string;
  runner?: string;
  startAt?: string;
  maxErrors?: string;
}

interface MergeFlags {
  json?: boolean;
  out?: string;
}

/** `clusterbench load` and `clusterbench merge`. */
export function registerLoadCommands(program: Command): void {
  program
    .command('load')
    .description('Load an http:// URL, closed loop (--connections users) or open loop (--rate); print the result.')
    .argument('<url>', 'target, e.g. http://127.0.0.1:8080/')
    .option('-c, --connections <n>', 'connections; closed loop: concurrent users, one request in flight each', '64')
    .option('-r, --rate <rps>', 'open loop: requests per second over all connections, latency timed from the intended send time')
    .option('-d, --duration <d>', 'measured time, e.g. 10s', '10s')
    .option('-w, --warmup <d>', 'unmeasured time before it, e.g. 2s, 0 for none', '2s')
    .option('--timeout <d>', 'per-request timeout', '5s')
    .option('--workers <n>', 'worker threads (default: one per CPU)')
    .option('--no-keepalive', 'a new connection for every request')
    .option('--json', 'print the result JSON on stdout')
    .option('-o, --out <file>', 'write the result JSON to FILE')
    .option('--topology <name>', 'label copied into the result')
    .option('--trial <n>', 'label copied into the result', '1')
    .option('--runner <n>', 'label copied into the result', '0')
    .option('--start-at <time>', 'begin the warmup at this time (epoch ms or ISO), to start several runners together')
    .option('--max-errors <percent>', 'exit 1 when more than this share of the requests failed', '1%')
    .action(async (url: string, flags: LoadFlags) => {
      const options = parseLoadFlags(url, flags);
      if (flags.out !== undefined) checkOutputFile('--out', flags.out);
      ensureOpenFiles('--connections', options.connections);
      const maxErrors = parseMaxErrors('--max-errors', flags.maxErrors ?? '1%');
      const progress = progressPrinter(process.stderr, options.warmupMs + options.durationMs);
      const interrupt = new AbortController();
      const onSignal = () => interrupt.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      let result: LoadResult;
      try {
        result = await runLoad({ ...options, onProgress: progress.onProgress, signal: interrupt.signal });
      } finally {
        progress.done();
        process.off('SIGINT', onSignal);
        process.off('SIGTERM', onSignal);
      }
      await writeResult(result, flags);
      process.stderr.write(`${formatSummary(result, maxErrors)}\n`);
      if (isFailed(result, maxErrors)) process.exitCode = 1;
    });

  program
    .command('merge')
    .description('Merge results of runs that ran together (runners, workers) exactly: added histograms, summed counts.')
    .argument('<files...>', 'result JSON files (clusterbench load --out)')
    .option('--json', 'print the merged result JSON instead of the summary')
    .option('-o, --out <file>', 'write the merged result JSON to FILE')
    .action(async (files: string[], flags: MergeFlags) => {
      if (flags.out !== undefined) checkOutputFile('--out', flags.out);
      const results = await Promise.all(files.map(readResult));
      checkMergeable(results.map((result, i) => ({ name: files[i], result })));
      const merged = mergeResults(results);
      await writeResult(merged, flags);
      if (flags.json !== true) process.stdout.write(`${formatSummary(merged)}\n`);
    });
}

/** Flags to LoadOptions; every bad value is a UsageError naming the flag, before anything runs. */
export function parseLoadFlags(url: string, flags: LoadFlags): LoadOptions {
  const options: LoadOptions = {
    url,
    connections: parseInteger('--connections', flags.connections, LOAD_LIMITS.connections.min, LOAD_LIMITS.connections.max),
    ...(flags.rate === undefined ? {} : { rate: parsePositiveNumber('--rate', flags.rate) }),
    durationMs: parseDurationMs('--duration', flags.duration),
    warmupMs: parseDurationMs('--warmup', flags.warmup, { allowZero: true }),
    timeoutMs: parseDurationMs('--timeout', flags.timeout),
    ...(flags.workers === undefined
      ? {}
      : { workers: parseInteger('--workers', flags.workers, LOAD_LIMITS.workers.min, LOAD_LIMITS.workers.max) }),
    keepAlive: flags.keepalive,
    topology: flags.topology ?? '',
    trial: parseInteger('--trial', flags.trial ?? '1', 0),
    runner: parseInteger('--runner', flags.runner ?? '0', 0),
    ...(flags.startAt === undefined ? {} : { startAt: parseStartAt(flags.startAt) }),
  };
  if (options.workers !== undefined && options.workers > options.connections) {
    throw new UsageError(
      `--workers: ${options.workers} is more than --connections ${options.connections} (each worker needs a connection of its own)`,
    );
  }
  validateLoadOptions(options);
  return options;
}

/** `--max-errors`: a percentage (`1%`, `0.5`, `0`), 0 to 100, as a share. */
export function parseMaxErrors(field: string, value: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(value);
  const percent = match ? Number(match[1]) : NaN;
  if (!(percent >= 0 && percent <= 100)) throw new UsageError(`${field}: "${value}" is not a percentage from 0% to 100% (e.g. 1%)`);
  return percent / 100;
}

function parseStartAt(value: string): number {
  const epochMs = /^\d+$/.test(value) ? Number(value) : Date.parse(value);
  if (!Number.isFinite(epochMs)) throw new UsageError(`--start-at: "${value}" is not a time (use epoch milliseconds or an ISO time)`);
  return epochMs;
}

async function readResult(file: string): Promise<LoadResult> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UsageError(`${file}: not a readable JSON file (${err instanceof Error ? err.message : String(err)})`);
  }
  return validateLoadResult(parsed, file);
}

/** --json to stdout, --out to a file (written whole: a temporary file renamed into place). */
async function writeResult(result: LoadResult, flags: { json?: boolean; out?: string }): Promise<void> {
  const json = `${JSON.stringify(result, null, 2)}\n`;
  if (flags.out !== undefined) {
    const partial = `${flags.out}.${process.pid}.partial`;
    try {
      await writeFile(partial, json);
      await rename(partial, flags.out);
    } catch (err) {
      await rm(partial, { force: true });
      throw new Error(`--out: cannot write ${flags.out} (${(err as NodeJS.ErrnoException).code ?? String(err)})`, { cause: err });
    }
  }
  if (flags.json === true) process.stdout.write(json);
}
