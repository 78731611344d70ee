import { TreeBuilder } from '@tinydb/kv'
import { FilePager } from '@tinydb/pager'
import { TinyDbError, type Vfs } from '@tinydb/vfs'

/** Entries in strictly ascending key order (a scan, a snapshot, a sorted import). */
export type EntrySource =
  | AsyncIterable<readonly [key: Uint8Array, value: Uint8Array]>
  | Iterable<readonly [key: Uint8Array, value: Uint8Array]>

export interface WriteDataFileOptions {
  /** Page size of the new file: a power of two in [512, 65536]. */
  readonly pageSize: number
  /**
   * The checkpoint LSN the new file records: every log record up to it is in the entries. It must
   * keep the log the file will sit beside consistent (see `writeDataFile`).
   */
  readonly checkpointLsn: number
  /**
   * Bytes of finished pages held in memory before they are written out (default 16 MiB): the entries
   * may be far larger than memory.
   */
  readonly flushBytes?: number
  /**
   * The pager's `checkpointFlushAfter`: bytes of pages written between two fdatasyncs of a flush
   * (default the pager's, 256 KiB; 0: one fdatasync per flush). Slices keep a live store on the same
   * disk responsive while a backup writes; a writer alone on its disk saves their device flushes.
   */
  readonly checkpointFlushAfter?: number
  /** Called after each entry with the entries written so far. */
  readonly onEntry?: (entries: number) => void
}

export interface DataFileWritten {
  readonly entries: number
  readonly rootPageId: number
  /** Pages in the file, the two meta pages included. */
  readonly pageCount: number
  readonly pageSize: number
}

const DEFAULT_FLUSH_BYTES = 16 * 1024 * 1024

/**
 * Writes a complete, durable page file at `path` holding exactly `entries` (strictly ascending keys;
 * INVALID_ARGUMENT otherwise), built bottom-up (kv's TreeBuilder) so it is as small as the page
 * formats allow and has no free pages. `path` must not be the live data file of an open store: an
 * existing file there is replaced.
 *
 * When the returned promise resolves the file's pages, its meta and its directory entry are durable
 * (the pager creates a new file under a temporary name, syncs it, renames it and syncs the
 * directory; the last checkpoint syncs pages, then meta). Putting the file in place is the caller's
 * rename, followed by a sync of the directory.
 *
 * The log beside the file: recovery replays records after `checkpointLsn` and requires the log to
 * reach at least that LSN. So use the LSN the store's log was checkpointed at (compaction: every
 * record in the log is then at or below it), or 0 with an empty log directory (a backup).
 */
export async function writeDataFile(vfs: Vfs, path: string, entries: EntrySource, options: WriteDataFileOptions): Promise<DataFileWritten> {
  const { pageSize, checkpointLsn } = options
  if (!Number.isSafeInteger(checkpointLsn) || checkpointLsn < 0) {
    throw new TinyDbError('INVALID_ARGUMENT', `checkpointLsn must be an integer >= 0, got ${checkpointLsn}`)
  }
  const flushBytes = options.flushBytes ?? DEFAULT_FLUSH_BYTES
  if (await vfs.exists(path)) await vfs.unlink(path)
  const flushAfter = options.checkpointFlushAfter === undefined ? {} : { checkpointFlushAfter: options.checkpointFlushAfter }
  const pager = await FilePager.open(vfs, path, { pageSize, cacheSize: flushBytes, ...flushAfter })
  let written: DataFileWritten
  try {
    const builder = new TreeBuilder(pager, { file: path })
    for await (const [key, value] of entries) {
      builder.add(key, value)
      options.onEntry?.(builder.entries)
      // The builder never touches a page after allocating it, so sealing an intermediate checkpoint
      // (root 0: nothing is reachable yet) only writes finished pages out and frees their memory.
      if (pager.dirtyPages * pageSize >= flushBytes) {
        await pager.beginCheckpoint({ rootPageId: 0, checkpointLsn }).commit()
      }
    }
    const rootPageId = builder.finish()
    const meta = await pager.beginCheckpoint({ rootPageId, checkpointLsn }).commit()
    written = { entries: builder.entries, rootPageId, pageCount: meta.pageCount, pageSize: pager.pageSize }
  } catch (error) {
    await pager.close().catch(() => undefined)
    throw error
  }
  await pager.close()
  return written
}
