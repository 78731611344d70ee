import { InlineDurableQueue } from './inline-durable-queue.js'
import type { OpenOptions, Vfs, VfsFile, VfsLock } from './vfs.js'

/** A call that changes what is stored, or when it becomes durable, as an `ObservedVfs` reports it. */
export type VfsEvent =
  | { readonly op: 'open'; readonly path: string; readonly create: boolean; readonly dsync: boolean }
  | {
      /** `write`, `writeSync` or `writev` (one event for all its buffers, `length` their total). */
      readonly op: 'write'
      readonly path: string
      readonly position: number
      readonly length: number
      readonly dsync: boolean
      /** Made with `writeSync`, on the calling thread. */
      readonly blocking: boolean
    }
  | { readonly op: 'truncate'; readonly path: string; readonly size: number }
  | { readonly op: 'sync'; readonly path: string }
  | { readonly op: 'syncDir'; readonly path: string }
  | { readonly op: 'rename'; readonly path: string; readonly to: string }
  | { readonly op: 'unlink'; readonly path: string }

/**
 * A Vfs that forwards every call to another and tells `observe` about each one that writes or
 * makes durable, before making it: for tests that count fdatasyncs per commit, for tracing what a
 * layer does to the disk. Reads are forwarded silently.
 */
export class ObservedVfs implements Vfs {
  constructor(
    protected readonly inner: Vfs,
    private readonly observe: (event: VfsEvent) => void,
  ) {}

  async open(path: string, options: OpenOptions = {}): Promise<VfsFile> {
    const dsync = options.dsync === true
    this.observe({ op: 'open', path, create: options.create === true, dsync })
    return observedFile(await this.inner.open(path, options), dsync, this.observe)
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
    this.observe({ op: 'unlink', path })
    return this.inner.unlink(path)
  }

  rename(from: string, to: string): Promise<void> {
    this.observe({ op: 'rename', path: from, to })
    return this.inner.rename(from, to)
  }

  syncDir(dir: string): Promise<void> {
    this.observe({ op: 'syncDir', path: dir })
    return this.inner.syncDir(dir)
  }

  lock(path: string): Promise<VfsLock> {
    return this.inner.lock(path)
  }
}

/**
 * The observed file. Its `queueDurable` runs the steps through the observed calls on the calling
 * thread (see InlineDurableQueue), so each write and sync is reported when it is made, in order —
 * not in the background as the file beneath may run them.
 */
function observedFile(file: VfsFile, dsync: boolean, observe: (event: VfsEvent) => void): VfsFile {
  const path = file.path
  const observed: VfsFile = {
    path,
    readSync: (buffer, position) => file.readSync(buffer, position),
    read: (buffer, position) => file.read(buffer, position),
    size: () => file.size(),
    queueDurable: (steps) => durableQueue.queue(steps),
    async close() {
      await durableQueue.settled()
      await file.close()
    },
    write(buffer, position) {
      observe({ op: 'write', path, position, length: buffer.length, dsync, blocking: false })
      return file.write(buffer, position)
    },
    writev(buffers, position) {
      // One write of the total length, as it is one write to the disk beneath.
      let length = 0
      for (const buffer of buffers) length += buffer.length
      observe({ op: 'write', path, position, length, dsync, blocking: false })
      return file.writev(buffers, position)
    },
    writeSync(buffer, position) {
      observe({ op: 'write', path, position, length: buffer.length, dsync, blocking: true })
      file.writeSync(buffer, position)
    },
    truncate(size) {
      observe({ op: 'truncate', path, size })
      return file.truncate(size)
    },
    sync() {
      observe({ op: 'sync', path })
      return file.sync()
    },
  }
  const durableQueue = new InlineDurableQueue(observed)
  return observed
}
