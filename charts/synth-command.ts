/**
 * `clusterbench synth`: the one command that needs the charts, so it lives with them (charts/ is
 * above src/; src/cli.ts, the composition layer, registers it).
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { ClusterbenchConfig } from '../src/config/config.js';
import { loadConfig } from '../src/config/load-config.js';
import { checkOutputFolder } from '../loadtest/output-path.js';
import { UsageError } from '../loadtest/usage-error.js';
import { writeBundle } from './bundle.js';
import { imageRefs } from './image-refs.js';

/** The file synth leaves in its output folder: the names it wrote, one a line. */
export const SYNTH_MARKER = '.clusterbench-synth';
/** What synth wrote before it left a marker: only `<index>-<chart>.k8s.yaml` files. */
const UNMARKED_MANIFEST = /^\d{4}-[a-z0-9-]+\.k8s\.yaml$/;

/**
 * Refuses (UsageError, before anything is written) an `--out` that synth may not replace: a file,
 * a folder that cannot take files, or a folder holding anything synth did not write there (its
 * marker lists what it wrote). An empty or missing folder is fine.
 */
export function checkSynthOut(flag: string, outDir: string): void {
  checkOutputFolder(flag, outDir);
  const target = resolve(outDir);
  if (!existsSync(target)) return;
  const entries = readdirSync(target);
  const ours = entries.includes(SYNTH_MARKER)
    ? new Set([
        SYNTH_MARKER,
        ...readFileSync(join(target, SYNTH_MARKER), 'utf8')
          .split('\n')
          .filter((f) => f !== ''),
      ])
    : new Set(entries.filter((f) => UNMARKED_MANIFEST.test(f)));
  const foreign = entries.filter((f) => !ours.has(f)).sort();
  if (foreign.length > 0) {
    const shown = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? `, and ${foreign.length - 3} more` : '');
    throw new UsageError(
      `${flag}: "${outDir}" holds files synth did not write (${shown}); synth replaces its folder as a whole, so give an empty or new folder`,
    );
  }
}

/**
 * Synthesizes every chart into `outDir`, one `<index>-<chart>.k8s.yaml` per chart. The app is built
 * (and so validated) before anything touches the disk, rendered into a fresh sibling folder and
 * then swapped in, so a failure leaves the previous `outDir` as it was. Returns the file names.
 */
export async function synthesize(config: ClusterbenchConfig, outDir: string): Promise<string[]> {
  // Loaded here, not at the top: every clusterbench command would pay for cdk8s's start-up.
  const { createApp } = await import('./clusterbench-app.js');
  const target = resolve(outDir);
  const staging = join(dirname(target), `.${basename(target)}.staging-${process.pid}`);
  const app = createApp(config, staging);
  rmSync(staging, { recursive: true, force: true });
  try {
    app.synth();
    writeBundle(staging);
    writeFileSync(join(staging, SYNTH_MARKER), `${readdirSync(staging).sort().join('\n')}\n`);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  const previous = existsSync(target) ? mkdtempSync(join(dirname(target), `.${basename(target)}.previous-`)) : undefined;
  if (previous) renameSync(target, join(previous, 'dist'));
  renameSync(staging, target);
  if (previous) rmSync(previous, { recursive: true, force: true });
  return readdirSync(target)
    .filter((f) => f !== SYNTH_MARKER)
    .sort();
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerSynthCommands(program: Command): void {
  program
    .command('synth')
    .description(
      'Write the Kubernetes manifests into dist/ (one file per chart, and all of them in install.yaml), from defaults, --config and --set.',
    )
    .option('--config <file>', 'YAML settings file, nested like the keys (hello: { cpu: 250m })')
    .option('--set <key=value>', 'override one setting, e.g. hello.cpu=250m or images.tag=v1 (repeatable)', collect, [])
    .option('--out <dir>', 'output folder, replaced as a whole: new, empty, or written by synth before', 'dist')
    .option('--print-images', 'print "<name> <image reference>" for the three images and write nothing')
    .option('--print-namespace', "print the namespace of clusterbench's workloads (setting namespace) and write nothing")
    .action(async (opts: { config?: string; set: string[]; out: string; printImages?: boolean; printNamespace?: boolean }) => {
      const config = loadConfig({ configFile: opts.config, sets: opts.set });
      if (opts.printNamespace) {
        process.stdout.write(`${config.namespace}\n`);
        return;
      }
      if (opts.printImages) {
        const refs = imageRefs(config);
        process.stdout.write(`hello ${refs.hello}\nrpc-gateway ${refs.rpcGateway}\nbench ${refs.bench}\n`);
        return;
      }
      checkSynthOut('--out', opts.out);
      const files = await synthesize(config, opts.out);
      process.stdout.write(`clusterbench: wrote ${files.length} files to ${opts.out}/ (${files.join(', ')})\n`);
    });
}
