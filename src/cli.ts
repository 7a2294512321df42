#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Command, CommanderError } from 'commander';
// The composition layer: the only module that assembles commands, and the only one allowed to
// import every layer (charts/, src/, loadtest/); nothing imports it. Each room exports a
// register<Room>Commands(program) that adds its own sub-commands and loads heavy libraries
// (cdk8s, client-node) inside their actions; add one line per room here, never register a
// room's commands from another room.
import { ExitCode, UsageError } from '../loadtest/usage-error.js';
import { registerLoadCommands } from '../loadtest/cli.js';
import { registerSynthCommands } from '../charts/synth-command.js';
import { registerBenchCommands } from './bench/command.js';
import { registerControllerCommands } from './controller/command.js';
import { registerLocalCommands } from './local/command.js';
import { packageRoot } from './util/package-root.js';

const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };
/** Long flags that take no value (`--failover`, `--no-keepalive`), filled once every command is registered. */
const switches = new Set<string>();

const program = new Command('clusterbench')
  .description('Go servers alone, behind nginx, or behind a net/rpc gateway: measured honestly.')
  .version(version, '-V, --version', 'print the version')
  .exitOverride()
  // Commander's own errors (unknown option, missing argument) in the one form of every error: one line.
  .configureOutput({ outputError: (message, write) => write(`clusterbench: ${usageLine(message)}\n`) });
registerLocalCommands(program);
registerSynthCommands(program);
registerLoadCommands(program);
registerBenchCommands(program);
registerControllerCommands(program);
for (const command of [program, ...program.commands]) {
  for (const option of command.options) if (option.long !== undefined && !option.required && !option.optional) switches.add(option.long);
}

/** "error: unknown option '--failover=yes'" to "--failover takes no value: ..."; one line, with where to look. */
function usageLine(message: string): string {
  const text = message
    .trim()
    .replace(/^error: /, '')
    .replace(/\n+/g, ' ');
  const withValue = /^unknown option '(--[\w-]+)=(.*)'/.exec(text);
  if (withValue !== null && switches.has(withValue[1])) {
    return `${withValue[1]}: takes no value ("${withValue[2]}"): give ${withValue[1]} alone, or leave it out`;
  }
  return `${text} (see --help)`;
}

async function main(argv: string[]): Promise<number> {
  try {
    await program.parseAsync(argv);
    return process.exitCode === undefined ? ExitCode.ok : Number(process.exitCode);
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are not errors; everything else commander rejects is bad input.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') {
        return ExitCode.ok;
      }
      return ExitCode.usage;
    }
    if (err instanceof UsageError) {
      process.stderr.write(`clusterbench: ${err.message}\n`);
      return ExitCode.usage;
    }
    process.stderr.write(`clusterbench: ${err instanceof Error ? err.message : String(err)}\n`);
    if (process.env.CLUSTERBENCH_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
    return ExitCode.failed;
  }
}

process.exitCode = await main(process.argv);
