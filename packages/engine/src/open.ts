import { dirname } from 'node:path'
import { BTree } from '@tinydb/kv'
import { FilePager } from '@tinydb/pager'
import { recover, storeLayout } from '@tinydb/recovery'
import { NodeVfs, TinyDbError } from '@tinydb/vfs'
import type { Vfs, VfsLock } from '@tinydb/vfs'
import { Wal } from '@tinydb/wal'
import { resolveOptions, type Limits } from './arguments.js'
import { TinyDb } from './db.js'
import type { Db, OpenOptions } from './types.js'

const MiB = 1024 * 1024
/** Largest value accepted by `put`; a batch (one log record) may hold up to `MAX_BATCH_SIZE`. */
export const MAX_VALUE_SIZE = 16 * MiB
export const MAX_BATCH_SIZE = 64 * MiB

/**
 * Opens (creating if missing) the store in `dir`: takes the directory lock, opens the page file and
 * the log, and replays the log after the last checkpoint. The returned store holds exactly the
 * writes acknowledged before the last close or crash, plus possibly writes that were in flight.
 */
export async function open(dir: string, options?: OpenOptions): Promise<Db> {
  if (typeof dir !== 'string' || dir.length === 0) {
    throw new TinyDbError('INVALID_ARGUMENT', `open expects a directory path, got ${dir === '' ? 'an empty string' : typeof dir}`)
  }
  const resolved = resolveOptions(options)
  const vfs = options?.vfs ?? new NodeVfs()
  const layout = storeLayout(dir)
  const lock = await lockDirectory(vfs, dir, layout.lockPath)
  const onStep = options?.onRecoveryStep
  const opened: { close(): Promise<void> }[] = []
  try {
    onStep?.(`took the directory lock ${layout.lockPath}`)
    // The page file and the log are independent until recovery joins them: open both at once, so
    // opening costs one chain of file-system round trips, not two (W6 of apps/bench compare).
    const [pagerOpened, walOpened] = await Promise.allSettled([
      FilePager.open(vfs, layout.dataPath, {
        pageSize: resolved.pageSize,
        cacheSize: resolved.cacheSize,
        checkpointFlushAfter: resolved.checkpointFlushAfter,
      }),
      Wal.open(vfs, layout.walDir, {
        segmentSize: resolved.walSegmentSize,
        durability: resolved.durability,
        maxRecordSize: MAX_BATCH_SIZE,
        commitWrites: resolved.commitWrites,
      }),
    ])
    if (pagerOpened.status === 'fulfilled') opened.push(pagerOpened.value)
    if (walOpened.status === 'fulfilled') opened.push(walOpened.value)
    if (pagerOpened.status === 'rejected') throw pagerOpened.reason
    if (walOpened.status === 'rejected') throw walOpened.reason
    const pager = pagerOpened.value
    const wal = walOpened.value
    const created = pager.created
    onStep?.(
      `${created ? 'created' : 'opened'} the page file ${layout.dataPath}: page size ${pager.pageSize}, ` +
        `live meta: checkpoint ${pager.meta.checkpointId}, ${pager.meta.pageCount} pages`,
    )
    const walReport = wal.openReport
    onStep?.(
      `opened the log ${layout.walDir}: ${walReport.segments} segments, records ${walReport.firstLsn}..${walReport.lastLsn}` +
        (walReport.discardedTailBytes > 0 ? `, a torn tail of ${walReport.discardedTailBytes} bytes after the last record` : ''),
    )
    const { tree, report } = await recover({
      pager,
      wal,
      dataPath: layout.dataPath,
      walDir: layout.walDir,
      created,
      ...(onStep === undefined ? {} : { onStep }),
    })
    // The store is known good now: get the first commit's segment file ready. A store being created
    // has none: making it (1 MiB of zeros and its syncs, ~3 ms) is part of creating the store,
    // so open waits for it rather than hand the cost to the first put. A reopened store usually has
    // a spare ready; otherwise it is made while the caller starts.
    const preparing = wal.prepareForAppends()
    if (created) await preparing
    const treeLimits = BTree.limits(pager.pageSize, pager.formatVersion)
    const limits: Limits = {
      maxKeySize: treeLimits.maxKeySize,
      maxValueSize: Math.min(treeLimits.maxValueSize, MAX_VALUE_SIZE),
      maxBatchSize: MAX_BATCH_SIZE,
    }
    return new TinyDb({ vfs, layout, lock, pager, wal, tree, limits, options: resolved, recovery: report })
  } catch (error) {
    for (const part of opened.reverse()) await part.close().catch(() => undefined)
    await lock.release()
    throw error
  }
}

/**
 * Takes the directory lock, creating the directory first if it is missing. The lock is tried
 * first: on a reopen the directory exists, and asking costs a file-system round trip (W6).
 */
async function lockDirectory(vfs: Vfs, dir: string, lockPath: string): Promise<VfsLock> {
  try {
    return await vfs.lock(lockPath)
  } catch (error) {
    if (await vfs.exists(dir)) throw error
  }
  // A new directory is durable only once its parent is synced; without this a power cut right
  // after the first acknowledged write could take the whole store with it.
  await vfs.mkdir(dir)
  await vfs.syncDir(dirname(dir))
  return vfs.lock(lockPath)
}
