import { Command } from 'commander'
import { dataDir } from '../data-dir.js'
import { CommandFailure } from '../failure.js'
import { printLine } from '../io.js'
import { withStore } from '../store.js'
import { decodeText } from '../text.js'

export function getCommand(): Command {
  return new Command('get')
    .description('print the value stored under <key>; exit code 1 when there is none')
    .argument('<key>', 'the key, as UTF-8')
    .action(async (key: string, _options: unknown, command: Command) => {
      const value = await withStore(dataDir(command), (db) => db.get(key))
      if (value === undefined) throw new CommandFailure(`Key not found: ${key}`)
      printLine(`Value: ${decodeText(value)}`)
    })
}
