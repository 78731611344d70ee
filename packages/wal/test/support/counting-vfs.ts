import { NodeVfs, type OpenOptions, type Vfs, type VfsFile, type VfsLock } from '@tinydb/vfs'

/**
 * A Vfs over the real disk (NodeVfs) that counts file syncs, writes and directory syncs, for the
 * group-commit tests. A write through a `dsync` handle counts as a write and a sync (it is both, in
 * one call). Fault injection and crashes are SimVfs's job.
 */
export class CountingVfs implements Vfs {
  syncs = 0
  /** The path of every file sync, in order. */
  readonly syncedPaths: string[] = []
  writes = 0
  syncDirs = 0
  /** Files created (opened with `create` when they did not exist). */
  creates = 0
  /** Syncs of `path` among the syncs after the first `since`. */
  syncsOf(path: string, since = 0): number {
    return this.syncedPaths.slice(since).filter((synced) => synced === path).length
  }

  constructor(private readonly inner: Vfs = new NodeVfs()) {}

  async open(path: string, options?: OpenOptions): Promise<VfsFile> {
    if (options?.create === true && !(await this.inner.exists(path))) this.creates++
    return new CountingFile(await this.inner.open(path, options), this, options?.dsync === true)
  }

  exists(path: string): Promise<boolean> {
    return this.inner.exists(path)
  }

  readdir(dir: string): Promise<string[]> {
    return this.inner.readdir(dir)
  }

  mkdir(dir: string): Promise<void> {
    return this.inner.mkdir(dir)
  }

  unlink(path: string): Promise<void> {
    return this.inner.unlink(path)
  }

  rename(from: string, to: string): Promise<void> {
    return this.inner.rename(from, to)
  }

  async syncDir(dir: string): Promise<void> {
    this.syncDirs++
    await this.inner.syncDir(dir)
  }

  lock(path: string): Promise<VfsLock> {
    return this.inner.lock(path)
  }
}

class CountingFile implements VfsFile {
  constructor(
    private readonly inner: VfsFile,
    private readonly vfs: CountingVfs,
    private readonly dsync: boolean,
  ) {}

  get path(): string {
    return this.inner.path
  }

  readSync(buffer: Uint8Array, position: number): number {
    return this.inner.readSync(buffer, position)
  }

  read(buffer: Uint8Array, position: number): Promise<number> {
    return this.inner.read(buffer, position)
  }

  async write(buffer: Uint8Array, position: number): Promise<void> {
    this.vfs.writes++
    await this.inner.write(buffer, position)
    if (this.dsync) {
      this.vfs.syncs++
      this.vfs.syncedPaths.push(this.inner.path)
    }
  }

  size(): Promise<number> {
    return this.inner.size()
  }

  truncate(size: number): Promise<void> {
    return this.inner.truncate(size)
  }

  async sync(): Promise<void> {
    this.vfs.syncs++
    this.vfs.syncedPaths.push(this.path)
    await this.inner.sync()
  }

  close(): Promise<void> {
    return this.inner.close()
  }
}
