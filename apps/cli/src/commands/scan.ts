import { Command, Option } from 'commander'
import { integerAtLeast } from '../arguments.js'
import { dataDir } from '../data-dir.js'
import { printLine } from '../io.js'
import { scanOptions } from '../scan-range.js'
import type { ScanFlags } from '../scan-range.js'
import { withStore } from '../store.js'
import { decodeText } from '../text.js'

export function scanCommand(): Command {
  return new Command('scan')
    .description('print entries in key order, one "key<TAB>value" line each')
    .option('--prefix <prefix>', 'only keys starting with <prefix>')
    .option('--gte <key>', 'only keys >= <key>')
    .option('--lt <key>', 'only keys < <key>')
    .addOption(new Option('--limit <n>', 'at most <n> entries').argParser(integerAtLeast(0)))
    .option('--reverse', 'descending key order')
    .action(async (flags: ScanFlags, command: Command) => {
      await withStore(dataDir(command), async (db) => {
        for await (const [key, value] of db.scan(scanOptions(flags))) {
          printLine(`${decodeText(key)}\t${decodeText(value)}`)
        }
      })
    })
}
