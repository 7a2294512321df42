/** The settings of `synth`: defaults, a `--config` file, then `--set` overrides. */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { UsageError } from '../../loadtest/usage-error.js';
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
