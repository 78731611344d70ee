import { Command } from 'commander'
import type { BackupReport } from '@tinydb/engine'
import { dataDir } from '../data-dir.js'
import { printLine } from '../io.js'
import { startProgress } from '../progress.js'
import { withStore } from '../store.js'

const PROGRESS_EVERY = 512

export function backupReportLines(report: BackupReport): string[] {
  return [
    `entries: ${report.entries}`,
    `pages: ${report.pages} of ${report.pageSize} bytes, ${report.bytes} bytes`,
    `backup written to ${report.dest}`,
  ]
}

export function backupCommand(): Command {
  return new Command('backup')
    .description('write a consistent, compact copy of the store to <dest>, a new store (open it with --dir <dest>)')
    .argument('<dest>', 'the directory to create; it must not exist, or be empty')
    .option('--json', 'print the report as JSON, for scripts')
    .addHelpText(
      'after',
      `
The copy holds the entries as of one moment, packed into the fewest pages, with an empty log. It is
built in <dest>.partial-<pid> and renamed to <dest> once durable: after a crash <dest> is either
absent or complete. An existing non-empty <dest> is refused (exit 1, INVALID_ARGUMENT).
A progress counter is shown on stderr when it is a terminal (not under CI; NO_COLOR removes colour).`,
    )
    .action(async (dest: string, options: { json?: boolean }, command: Command) => {
      const report = await withStore(dataDir(command), async (db) => {
        const progress = startProgress({ label: 'backup', total: undefined, detail: 'entries' })
        try {
          const written = await db.backup(dest, {
            onProgress: ({ entries }) => {
              if (entries % PROGRESS_EVERY === 0) progress.update(entries)
            },
          })
          progress.update(written.entries)
          return written
        } finally {
          progress.stop()
        }
      })
      if (options.json === true) printLine(JSON.stringify(report, null, 2))
      else for (const line of backupReportLines(report)) printLine(line)
    })
}
