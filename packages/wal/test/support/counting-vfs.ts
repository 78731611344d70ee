import { NodeVfs, ObservedVfs, type OpenOptions, type Vfs, type VfsFile } from '@tinydb/vfs'

/**
 * A Vfs over the real disk (NodeVfs) that counts file syncs, writes and directory syncs, for the
 * group-commit tests. A write through a `dsync` handle counts as a write and a sync (it is both, in
 * one call). Fault injection and crashes are SimVfs's job.
 */
export class CountingVfs extends ObservedVfs {
  syncs = 0
  /** The path of every file sync, in order. */
  readonly syncedPaths: string[] = []
  writes = 0
  syncDirs = 0
  /** Files created (opened with `create` when they did not exist). */
  creates = 0

  constructor(inner: Vfs = new NodeVfs()) {
    super(inner, (event) => {
      if (event.op === 'write') this.writes++
      if (event.op === 'sync' || (event.op === 'write' && event.dsync)) {
        this.syncs++
        this.syncedPaths.push(event.path)
      }
      if (event.op === 'syncDir') this.syncDirs++
    })
  }

  /** Syncs of `path` among the syncs after the first `since`. */
  syncsOf(path: string, since = 0): number {
    return this.syncedPaths.slice(since).filter((synced) => synced === path).length
  }

  override async open(path: string, options?: OpenOptions): Promise<VfsFile> {
    if (options?.create === true && !(await this.inner.exists(path))) this.creates++
    return super.open(path, options)
  }
}
