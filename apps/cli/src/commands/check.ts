import { Command } from 'commander'
import type { CheckProblem, CheckReport } from '@tinydb/engine'
import { dataDir } from '../data-dir.js'
import { CommandFailure } from '../failure.js'
import { printLine } from '../io.js'
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
    .action(async (_options: unknown, command: Command) => {
      const report = await withStore(dataDir(command), (db) => db.check())
      for (const line of checkReportLines(report)) printLine(line)
      if (!report.ok || report.problems.length > 0) {
        throw new CommandFailure(`check failed: ${report.problems.length} problem(s)`)
      }
      printLine('OK')
    })
}
