import { Command } from 'commander'
import type { DbStats, WalGroupStats } from '@tinydb/engine'
import { dataDir } from '../data-dir.js'
import { printLine } from '../io.js'
import { withStore } from '../store.js'

export function statsLines(stats: DbStats): string[] {
  const { cache, tree, wal, checkpoints, recovery } = stats
  return [
    `dir: ${stats.dir}`,
    `durability: ${stats.durability}`,
    `page size: ${stats.pageSize} bytes`,
    `pages: ${stats.pageCount} (${stats.freePages} free, ${stats.dirtyPages} dirty)`,
    `cache: ${cache.pages} pages, ${cache.hits} hits, ${cache.misses} misses`,
    `tree: depth ${tree.depth}, root page ${tree.rootPageId}`,
    `wal: next lsn ${wal.nextLsn}, applied lsn ${wal.appliedLsn}, ${wal.bytesSinceCheckpoint} bytes since checkpoint`,
    `log writes: ${logWrites(wal.groups)}`,
    `checkpoint: last lsn ${checkpoints.lastCheckpointLsn}, id ${checkpoints.lastCheckpointId}` +
      `, ${checkpoints.completed} completed in this session${checkpoints.running ? ', one running' : ''}`,
    `recovery: ${recovery.created ? 'created a new store' : `${recovery.recordsReplayed} records replayed`}` +
      `, ${recovery.bytesDiscarded} bytes discarded, ${recovery.walSegments} log segments, ${recovery.durationMs.toFixed(3)} ms`,
  ]
}

/** The commit groups this open wrote: how many commits shared a write, and what a write took. */
export function logWrites(groups: WalGroupStats): string {
  if (groups.groups === 0) return 'none in this session'
  return (
    `${groups.groups} commit groups of ${groups.records} records (${groups.bytes} bytes) in this session, ` +
    `${(groups.writeMs / groups.groups).toFixed(3)} ms per write, ${groups.inline} of them on the JavaScript thread`
  )
}

export function statsCommand(): Command {
  return new Command('stats')
    .description('print the store\'s page, cache, log and checkpoint figures')
    .option('--json', 'print the stats object as JSON, for scripts')
    .action(async (options: { json?: boolean }, command: Command) => {
      const stats = await withStore(dataDir(command), async (db) => db.stats())
      if (options.json === true) printLine(JSON.stringify(stats, null, 2))
      else for (const line of statsLines(stats)) printLine(line)
    })
}
