import type { BTree } from '@tinydb/kv'
import type { Pager, PagerMeta } from '@tinydb/pager'
import type { Wal } from '@tinydb/wal'

export interface CheckpointParts {
  readonly pager: Pager
  readonly wal: Wal
  readonly tree: BTree
}

/**
 * Makes the tree as of `appliedLsn` the durable checkpoint, then lets the log go.
 *
 * The caller must call this when every record up to `appliedLsn`, and no later one, is in the tree:
 * the seal is synchronous, so that is simply "between two applies". The order of the steps is the
 * protocol: pages, fsync, meta, fsync (inside `commit`), and only then drop log segments. Dropping
 * the log before the new meta is durable would lose every record between the two checkpoints if the
 * meta write tore.
 */
export async function checkpoint(parts: CheckpointParts, appliedLsn: number, options: CheckpointOptions = {}): Promise<PagerMeta> {
  const pending = parts.pager.beginCheckpoint({ rootPageId: parts.tree.rootPageId, checkpointLsn: appliedLsn })
  const meta = await pending.commit({ incremental: options.incremental === true })
  if (options.dropLog?.() !== false) await parts.wal.dropBefore(appliedLsn + 1)
  return meta
}

export interface CheckpointOptions {
  /**
   * Asked once the checkpoint is durable: false keeps the log segments it made unnecessary (default
   * true). A store that is closing keeps them — the next open skips them unread and its first
   * checkpoint drops them — which spares the close the segments' renames and a directory fsync.
   */
  readonly dropLog?: () => boolean
  /**
   * Lets the pager spread the commit's work over turns of the event loop (`CommitOptions`): for a
   * checkpoint started while writes go on, whose commits then keep completing meanwhile. Default false.
   */
  readonly incremental?: boolean
}
