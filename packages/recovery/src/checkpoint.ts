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
export async function checkpoint(parts: CheckpointParts, appliedLsn: number): Promise<PagerMeta> {
  const pending = parts.pager.beginCheckpoint({ rootPageId: parts.tree.rootPageId, checkpointLsn: appliedLsn })
  const meta = await pending.commit()
  await parts.wal.dropBefore(appliedLsn + 1)
  return meta
}
