import { existsSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { imageRefs } from '../../charts/image-refs.js';
import { NAMESPACE } from '../api/objects.js';
import { UsageError } from '../util/usage-error.js';
import { resolveConfig, type ClusterbenchConfig } from './config.js';

export interface ConfigSources {
  /** A YAML (or JSON) file of settings, nested like the config: `hello: { cpu: 250m }`. */
  readonly configFile?: string;
  /** `key=value` overrides, applied after the file. */
  readonly sets?: readonly string[];
}

/** Reads the config file and the overrides; UsageError (exit 2) on anything invalid. */
export function loadConfig(sources: ConfigSources): ClusterbenchConfig {
  let fileSettings: unknown;
  if (sources.configFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(sources.configFile, 'utf8');
    } catch (err) {
      throw new UsageError(`--config: cannot read "${sources.configFile}" (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
    try {
      fileSettings = parseYaml(text);
    } catch (err) {
      throw new UsageError(`--config: "${sources.configFile}" is not YAML (${(err as Error).message.split('\n')[0]})`);
    }
  }
  return resolveConfig(fileSettings, sources.sets ?? [], sources.configFile);
}

/**
 * Synthesizes every chart into `outDir`, one `<index>-<chart>.k8s.yaml` per chart. The app is built
 * (and so validated) before anything touches the disk, rendered into a fresh sibling folder and
 * then swapped in, so a failure leaves the previous `outDir` as it was. Returns the file names.
 */
export async function synthesize(config: ClusterbenchConfig, outDir: string): Promise<string[]> {
  // Loaded here, not at the top: every clusterbench command would pay for cdk8s's start-up.
  const { createApp } = await import('../../charts/clusterbench-app.js');
  const target = resolve(outDir);
  const staging = join(dirname(target), `.${basename(target)}.staging-${process.pid}`);
  const app = createApp(config, staging);
  rmSync(staging, { recursive: true, force: true });
  try {
    app.synth();
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  const previous = existsSync(target) ? mkdtempSync(join(dirname(target), `.${basename(target)}.previous-`)) : undefined;
  if (previous) renameSync(target, join(previous, 'dist'));
  renameSync(staging, target);
  if (previous) rmSync(previous, { recursive: true, force: true });
  return readdirSync(target).sort();
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

export function registerSynthCommands(program: Command): void {
  program
    .command('synth')
    .description('Write the Kubernetes manifests into dist/ (one file per chart), from defaults, --config and --set.')
    .option('--config <file>', 'YAML settings file, nested like the keys (hello: { cpu: 250m })')
    .option('--set <key=value>', 'override one setting, e.g. hello.cpu=250m or images.tag=v1 (repeatable)', collect, [])
    .option('--out <dir>', 'output folder, replaced as a whole', 'dist')
    .option('--print-images', 'print "<name> <image reference>" for the three images and write nothing')
    .option('--print-namespace', "print the namespace of clusterbench's workloads and write nothing")
    .action(async (opts: { config?: string; set: string[]; out: string; printImages?: boolean; printNamespace?: boolean }) => {
      if (opts.printNamespace) {
        process.stdout.write(`${NAMESPACE}\n`);
        return;
      }
      const config = loadConfig({ configFile: opts.config, sets: opts.set });
      if (opts.printImages) {
        const refs = imageRefs(config);
        process.stdout.write(`hello ${refs.hello}\nrpc-gateway ${refs.rpcGateway}\nbench ${refs.bench}\n`);
        return;
      }
      const files = await synthesize(config, opts.out);
      process.stdout.write(`clusterbench: wrote ${files.length} files to ${opts.out}/ (${files.join(', ')})\n`);
    });
}
