import { Command } from 'commander'
import { dataDir } from '../data-dir.js'
import { printLine } from '../io.js'
import { withStore } from '../store.js'

export function checkpointCommand(): Command {
  return new Command('checkpoint')
    .description('write every change to the data file and make it the durable checkpoint')
    .action(async (_options: unknown, command: Command) => {
      const lsn = await withStore(dataDir(command), async (db) => {
        await db.checkpoint()
        return db.stats().checkpoints.lastCheckpointLsn
      })
      printLine('OK')
      printLine(`checkpoint lsn: ${lsn}`)
    })
}
