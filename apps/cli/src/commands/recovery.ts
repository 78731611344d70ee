import { performance } from 'node:perf_hooks'
import { Command } from 'commander'
import type { RecoveryReport } from '@tinydb/engine'
import { dataDir } from '../data-dir.js'
import { printLine } from '../io.js'
import { withStore } from '../store.js'

export function recoveryReportLines(report: RecoveryReport): string[] {
  return [
    `checkpoint lsn: ${report.checkpointLsn}`,
    `records replayed: ${report.recordsReplayed}`,
    `bytes discarded: ${report.bytesDiscarded}`,
    `last lsn: ${report.lastLsn}`,
    `duration (ms): ${report.durationMs.toFixed(3)}`,
  ]
}

interface Step {
  readonly atMs: number
  readonly step: string
}

export function recoveryCommand(): Command {
  return new Command('recovery')
    .description('open the store, which replays the log after the last checkpoint, and print what recovery did')
    .option('--verbose', 'print every step of opening and recovery as it happens, with the time since the start')
    .option('--json', 'print the report (and with --verbose the steps) as JSON')
    .action(async (options: { verbose?: boolean; json?: boolean }, command: Command) => {
      const started = performance.now()
      const steps: Step[] = []
      // Text steps are printed the moment the engine reports them, so a recovery that hangs or
      // fails shows how far it got; JSON is one document, printed at the end.
      const onRecoveryStep = (step: string): void => {
        const entry = { atMs: performance.now() - started, step }
        steps.push(entry)
        if (options.json !== true) printLine(`[${entry.atMs.toFixed(3).padStart(9)} ms] ${step}`)
      }
      const report = await withStore(dataDir(command), async (db) => db.recovery, options.verbose === true ? { onRecoveryStep } : undefined)
      if (options.json === true) {
        printLine(JSON.stringify(options.verbose === true ? { report, steps } : { report }, null, 2))
        return
      }
      printLine('Recovery complete')
      for (const line of recoveryReportLines(report)) printLine(line)
    })
}
