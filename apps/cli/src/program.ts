import { Command } from 'commander'
import { benchCommand } from './commands/bench.js'
import { backupCommand } from './commands/backup.js'
import { checkCommand } from './commands/check.js'
import { compactCommand } from './commands/compact.js'
import { checkpointCommand } from './commands/checkpoint.js'
import { delCommand } from './commands/del.js'
import { dumpCommand } from './commands/dump.js'
import { getCommand } from './commands/get.js'
import { inspectCommand } from './commands/inspect.js'
import { loadCommand } from './commands/load.js'
import { recoveryCommand } from './commands/recovery.js'
import { runTestsCommand } from './commands/run-tests.js'
import { scanCommand } from './commands/scan.js'
import { setCommand } from './commands/set.js'
import { statsCommand } from './commands/stats.js'
import { dataDirOption } from './data-dir.js'

/**
 * The `tinydb` command line. Usage errors throw a `CommanderError` instead of exiting, in every
 * subcommand too, so `main` decides the exit code in one place.
 */
export function createProgram(): Command {
  const program = new Command('tinydb')
    .description('TinyDB: an embedded, crash-safe key-value store, from the command line')
    .addOption(dataDirOption())
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)')
  const commands = [
    setCommand(),
    getCommand(),
    delCommand(),
    scanCommand(),
    dumpCommand(),
    loadCommand(),
    recoveryCommand(),
    checkpointCommand(),
    checkCommand(),
    compactCommand(),
    backupCommand(),
    statsCommand(),
    inspectCommand(),
    runTestsCommand(),
    benchCommand(),
  ]
  for (const command of commands) program.addCommand(inherit(command, program))
  return program
}

/** Copies the program's settings (exitOverride, help) down to a command and its own subcommands. */
function inherit(command: Command, parent: Command): Command {
  command.copyInheritedSettings(parent)
  for (const sub of command.commands) inherit(sub, command)
  return command
}
