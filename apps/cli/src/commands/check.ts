import { Command } from 'commander'
import type { CheckProblem, CheckProgress, CheckReport } from '@tinydb/engine'
import { dataDir } from '../data-dir.js'
import { CommandFailure } from '../failure.js'
import { printLine } from '../io.js'
import { startProgress, type Progress } from '../progress.js'
import { withStore } from '../store.js'

export function problemLine(problem: CheckProblem): string {
  const page = problem.pageId === undefined ? '' : ` page ${problem.pageId}`
  const offset = problem.offset === undefined ? '' : ` offset ${problem.offset}`
  return `problem: ${problem.file}${page}${offset}: ${problem.what}`
}

export function checkReportLines(report: CheckReport): string[] {
  return [
    `pages checked: ${report.pagesChecked}`,
    `keys: ${report.keys}`,
    `depth: ${report.depth}`,
    `wal records checked: ${report.walRecordsChecked}`,
    ...report.problems.map(problemLine),
  ]
}

export function checkCommand(): Command {
  return new Command('check')
    .description('verify every page and log record (checksums, tree order, page accounting); exit code 1 on any problem')
    .addHelpText('after', '\nProgress (pages, then log records) is shown on stderr when it is a terminal (not under CI; NO_COLOR removes colour).')
    .action(async (_options: unknown, command: Command) => {
      const report = await withStore(dataDir(command), async (db) => {
        // A bar over the pages a sound tree reaches (the check knows that number from the page
        // accounting), then a counter of log records; the check yields to the event loop as it walks.
        let progress: Progress | undefined
        let phase: CheckProgress['phase'] | undefined
        try {
          return await db.check({
            onProgress: ({ phase: now, done, total }) => {
              if (now !== phase) {
                progress?.stop()
                phase = now
                progress = startProgress(
                  now === 'pages' ? { label: 'check', total, detail: '{value}/{total} pages' } : { label: 'check', total: undefined, detail: 'log records' },
                )
              }
              progress?.update(done)
            },
          })
        } finally {
          progress?.stop()
        }
      })
      for (const line of checkReportLines(report)) printLine(line)
      if (!report.ok || report.problems.length > 0) {
        throw new CommandFailure(`check failed: ${report.problems.length} problem(s)`)
      }
      printLine('OK')
    })
}
