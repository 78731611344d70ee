import { storeLayout } from '@tinydb/recovery'
import type { StoreLayout } from '@tinydb/recovery'
import { NodeVfs } from '@tinydb/vfs'
import type { Vfs } from '@tinydb/vfs'
import { CommandFailure } from './failure.js'

/** What an inspect command reads through: the Vfs and the store's file layout. */
export interface ReadOnlyStore {
  readonly vfs: Vfs
  readonly layout: StoreLayout
}

/**
 * Runs `use` on the store in `dir` without opening the engine: no recovery, no new log segment, no
 * checkpoint, so inspecting never changes a byte of the page file or the log. It holds the
 * directory lock (the same `LOCK` file the engine takes, through the Vfs) while it reads, so a
 * running writer cannot change the files underneath it — and a store open elsewhere is refused with
 * LOCKED instead of being shown half-written. Taking the lock writes the LOCK file, nothing else.
 * A directory without a page file fails (exit 1): inspecting never creates a store.
 */
export async function withReadOnlyStore<T>(dir: string, use: (store: ReadOnlyStore) => Promise<T>): Promise<T> {
  const vfs = new NodeVfs()
  const layout = storeLayout(dir)
  if (!(await vfs.exists(layout.dataPath))) {
    throw new CommandFailure(`error: ${dir} holds no TinyDB store (no ${layout.dataPath})`)
  }
  const lock = await vfs.lock(layout.lockPath)
  try {
    return await use({ vfs, layout })
  } finally {
    await lock.release()
  }
}
