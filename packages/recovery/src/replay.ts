import { performance } from 'node:perf_hooks'
import { BTree } from '@tinydb/kv'
import type { Pager } from '@tinydb/pager'
import { corruption } from '@tinydb/vfs'
import type { Wal } from '@tinydb/wal'
import { applyOperations } from './apply.js'
import { decodeBatch } from './record-format.js'
import type { RecoveryReport } from './report.js'

export interface RecoverOptions {
  readonly pager: Pager
  readonly wal: Wal
  /** The page file and the log directory, named in error messages. */
  readonly dataPath: string
  readonly walDir: string
  /** True when this open created the store. */
  readonly created: boolean
  /** Called before and after each step, for `tinydb recovery --verbose` and tests. */
  readonly onStep?: (step: string) => void
}

export interface Recovered {
  readonly tree: BTree
  readonly report: RecoveryReport
}

/**
 * Rebuilds the state of the last acknowledged write: the tree of the newest valid checkpoint, plus
 * every log record after its LSN, in order (invariant 4). It writes nothing, so a crash during
 * recovery leaves the files exactly as they were and recovering again gives the same state
 * (invariant 8). The WAL has already discarded a torn tail and reported damage before it.
 */
export async function recover(options: RecoverOptions): Promise<Recovered> {
  const started = performance.now()
  const { pager, wal, walDir, onStep } = options
  const meta = pager.meta
  onStep?.(`checkpoint ${meta.checkpointId}: root page ${meta.rootPageId}, covers the log up to lsn ${meta.checkpointLsn}`)
  const tree = new BTree(pager, meta.rootPageId, { file: options.dataPath })
  let expectedLsn = meta.checkpointLsn + 1
  let recordsReplayed = 0
  for await (const record of wal.read(expectedLsn)) {
    // The log must continue exactly where the checkpoint ends: a gap means records were lost.
    if (record.lsn !== expectedLsn) {
      throw corruption({ file: walDir }, `log records ${expectedLsn}..${record.lsn - 1} after checkpoint lsn ${meta.checkpointLsn} are missing`)
    }
    applyOperations(tree, decodeBatch(record.payload, { file: walDir, lsn: record.lsn }))
    recordsReplayed++
    expectedLsn++
  }
  const lastLsn = expectedLsn - 1
  if (wal.nextLsn <= lastLsn) {
    throw corruption({ file: walDir }, `the log ends at lsn ${wal.nextLsn - 1}, before checkpoint lsn ${meta.checkpointLsn}`)
  }
  onStep?.(`replayed ${recordsReplayed} log records, lsn ${meta.checkpointLsn + 1}..${lastLsn}`)
  if (wal.openReport.discardedTailBytes > 0) {
    onStep?.(`discarded a torn log tail of ${wal.openReport.discardedTailBytes} bytes (a commit group that was never acknowledged)`)
  }
  return {
    tree,
    report: {
      created: options.created,
      checkpointId: meta.checkpointId,
      checkpointLsn: meta.checkpointLsn,
      recordsReplayed,
      lastLsn,
      bytesDiscarded: wal.openReport.discardedTailBytes,
      walSegments: wal.openReport.segments,
      durationMs: performance.now() - started,
    },
  }
}
