import { Command } from 'commander'
import { ChunkedWriter } from '../chunked-writer.js'
import { dataDir } from '../data-dir.js'
import { JSONL_HELP, encodeEntry } from '../jsonl.js'
import { currentProgressMode, startProgress } from '../progress.js'
import type { ProgressMode } from '../progress.js'
import { scanOptions } from '../scan-range.js'
import type { ScanFlags } from '../scan-range.js'
import { withStore } from '../store.js'

export function dumpCommand(): Command {
  return new Command('dump')
    .description('write entries to stdout as JSON Lines, streaming, for `tinydb load`')
    .option('--prefix <prefix>', 'only keys starting with <prefix>')
    .option('--gte <key>', 'only keys >= <key>')
    .option('--lt <key>', 'only keys < <key>')
    .addHelpText(
      'after',
      `${JSONL_HELP}

A progress counter is shown on stderr when stdout is not a terminal but stderr is (not under CI).
Piping into a reader that exits early (\`tinydb dump | head\`) stops quietly.`,
    )
    .action(async (flags: Pick<ScanFlags, 'prefix' | 'gte' | 'lt'>, command: Command) => {
      await withStore(dataDir(command), async (db) => {
        const out = new ChunkedWriter(process.stdout)
        const progress = startProgress({ label: 'dump', total: undefined, detail: 'entries' }, dumpProgressMode())
        let entries = 0
        try {
          for await (const [key, value] of db.scan(scanOptions(flags))) {
            await out.write(`${encodeEntry(key, value)}\n`)
            if (++entries % 1024 === 0) progress.update(entries)
          }
          await out.flush()
          progress.update(entries)
        } finally {
          progress.stop()
        }
      })
    })
}

/** A bar drawn on the same terminal as the data would garble it: only when stdout goes elsewhere. */
function dumpProgressMode(): ProgressMode {
  return process.stdout.isTTY === true ? { show: false } : currentProgressMode()
}
