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

export function recoveryCommand(): Command {
  return new Command('recovery')
    .description('open the store, which replays the log after the last checkpoint, and print what recovery did')
    .action(async (_options: unknown, command: Command) => {
      const report = await withStore(dataDir(command), async (db) => db.recovery)
      printLine('Recovery complete')
      for (const line of recoveryReportLines(report)) printLine(line)
    })
}
