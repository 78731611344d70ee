import { Command } from 'commander'
import { compact, type CompactReport } from '@tinydb/engine'
import { dataDir } from '../data-dir.js'
import { printLine } from '../io.js'
import { startProgress, type Progress } from '../progress.js'

/** Entries between two progress updates: a redraw per entry would cost more than the copy. */
const PROGRESS_EVERY = 512

export function compactReportLines(report: CompactReport): string[] {
  const percent = report.bytesBefore === 0 ? 0 : (100 * report.bytesReclaimed) / report.bytesBefore
  return [
    `entries: ${report.entries}`,
    `page size: ${report.pageSize} bytes`,
    `pages before: ${report.pagesBefore} (${report.freePagesBefore} free), ${report.bytesBefore} bytes`,
    `pages after: ${report.pagesAfter} (0 free), ${report.bytesAfter} bytes`,
    `reclaimed: ${report.bytesReclaimed} bytes (${percent.toFixed(1)}%)`,
  ]
}

export function compactCommand(): Command {
  return new Command('compact')
    .description('rewrite the data file with the entries packed into the fewest pages, reclaiming free pages')
    .option('--json', 'print the report as JSON, for scripts')
    .addHelpText(
      'after',
      `
The store must not be open in another process (exit 1 with LOCKED). Recovery runs first and a
checkpoint empties the log; the new file is built beside data.tdb, made durable, and renamed over
it. A crash at any moment leaves the old file or the new one, with the same entries.
A progress bar is shown on stderr when it is a terminal (not under CI; NO_COLOR removes colour).`,
    )
    .action(async (options: { json?: boolean }, command: Command) => {
      // The bar starts with the first entry copied: only then is the total known (after recovery).
      let progress: Progress | undefined
      let report: CompactReport
      try {
        report = await compact(dataDir(command), {
          onProgress: ({ entries, totalEntries }) => {
            progress ??= startProgress({ label: 'compact', total: totalEntries, detail: '{value} entries' })
            if (entries % PROGRESS_EVERY === 0 || entries === totalEntries) progress.update(entries)
          },
        })
      } finally {
        progress?.stop()
      }
      if (options.json === true) printLine(JSON.stringify(report, null, 2))
      else for (const line of compactReportLines(report)) printLine(line)
    })
}
