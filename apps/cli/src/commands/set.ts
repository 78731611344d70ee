import { Command } from 'commander'
import { dataDir } from '../data-dir.js'
import { printLine } from '../io.js'
import { withStore } from '../store.js'

export function setCommand(): Command {
  return new Command('set')
    .description('store <value> under <key> (durable when OK is printed)')
    .argument('<key>', 'the key, as UTF-8')
    .argument('<value>', 'the value, as UTF-8')
    .action(async (key: string, value: string, _options: unknown, command: Command) => {
      await withStore(dataDir(command), (db) => db.put(key, value))
      printLine('OK')
    })
}
