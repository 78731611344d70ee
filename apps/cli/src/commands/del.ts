import { Command } from 'commander'
import { dataDir } from '../data-dir.js'
import { printLine } from '../io.js'
import { withStore } from '../store.js'

export function delCommand(): Command {
  return new Command('del')
    .description('delete <key> (deleting a missing key is not an error)')
    .argument('<key>', 'the key, as UTF-8')
    .action(async (key: string, _options: unknown, command: Command) => {
      await withStore(dataDir(command), (db) => db.del(key))
      printLine('OK')
    })
}
