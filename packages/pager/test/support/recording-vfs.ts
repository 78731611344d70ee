import type { OpenOptions, Vfs, VfsFile, VfsLock } from '@tinydb/vfs'

/** One I/O call a file received, in the order received. */
export type FileCall =
  | { readonly op: 'write'; readonly position: number; readonly length: number }
  | { readonly op: 'truncate'; readonly size: number }
  | { readonly op: 'sync' }

/** Wraps a Vfs and records the writes, truncates and syncs each file receives. */
export class RecordingVfs implements Vfs {
  readonly calls: FileCall[] = []

  constructor(private readonly inner: Vfs) {}

  async open(path: string, options?: OpenOptions): Promise<VfsFile> {
    const file = await this.inner.open(path, options)
    const calls = this.calls
    return {
      path: file.path,
      readSync: (buffer, position) => file.readSync(buffer, position),
      read: (buffer, position) => file.read(buffer, position),
      size: () => file.size(),
      close: () => file.close(),
      async write(buffer, position) {
        calls.push({ op: 'write', position, length: buffer.length })
        await file.write(buffer, position)
      },
      async truncate(size) {
        calls.push({ op: 'truncate', size })
        await file.truncate(size)
      },
      async sync() {
        calls.push({ op: 'sync' })
        await file.sync()
      },
    }
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
  syncDir(dir: string): Promise<void> {
    return this.inner.syncDir(dir)
  }
  lock(path: string): Promise<VfsLock> {
    return this.inner.lock(path)
  }
}
