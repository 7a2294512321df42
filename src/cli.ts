#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { ExitCode, UsageError } from './util/usage-error.js';
import { registerLocalCommands } from './local/command.js';
import { registerSynthCommands } from './config/synth-command.js';
import { registerLoadCommands } from '../loadtest/cli.js';
import { registerClusterCommands } from './controller/command.js';

// Each room registers its own sub-commands; add one line per module here.
const program = new Command('clusterbench')
  .description('Go servers alone, behind nginx, or behind a net/rpc gateway: measured honestly.')
  .showHelpAfterError('(run with --help for usage)')
  .exitOverride();
registerLocalCommands(program);
registerSynthCommands(program);
registerLoadCommands(program);
registerClusterCommands(program);

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
