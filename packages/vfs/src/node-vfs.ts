import * as fs from 'node:fs'
import * as fsp from 'node:fs/promises'
import { checkOffset } from './arguments.js'
import { ioError } from './errors.js'
import { takeLock } from './node-lock.js'
import type { DurableStep, OpenOptions, QueuedDurable, Vfs, VfsFile, VfsLock } from './vfs.js'
import { WorkerDurableQueue } from './worker-durable-queue.js'

/**
 * The fs calls a NodeFile makes through Node's thread pool, as promises: the ones that may wait for
 * the device. In one object so that a test can wrap one of them (short writes, failures).
 */
const threadPoolIo = {
  read: (fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> =>
    new Promise((resolve, reject) => fs.read(fd, buffer, offset, length, position, (error, bytesRead) => (error ? reject(error) : resolve(bytesRead)))),
  write: (fd: number, buffer: Uint8Array, offset: number, length: number, position: number): Promise<number> =>
    new Promise((resolve, reject) => fs.write(fd, buffer, offset, length, position, (error, written) => (error ? reject(error) : resolve(written)))),
  writev: (fd: number, buffers: readonly Uint8Array[], position: number): Promise<number> =>
    new Promise((resolve, reject) => fs.writev(fd, buffers, position, (error, written) => (error ? reject(error) : resolve(written)))),
  ftruncate: (fd: number, size: number): Promise<void> => new Promise((resolve, reject) => fs.ftruncate(fd, size, (error) => (error ? reject(error) : resolve()))),
  fdatasync: (fd: number): Promise<void> => new Promise((resolve, reject) => fs.fdatasync(fd, (error) => (error ? reject(error) : resolve()))),
}

class NodeFile implements VfsFile {
  private readonly io = threadPoolIo
  /** On the durable-write worker thread: a checkpoint progresses while this thread is busy. */
  private readonly durableQueue: WorkerDurableQueue

  constructor(
    readonly path: string,
    private readonly fd: number,
  ) {
    this.durableQueue = new WorkerDurableQueue(path)
  }

  readSync(buffer: Uint8Array, position: number): number {
    checkOffset(position, 'read position', this.path)
    let done = 0
    try {
      while (done < buffer.length) {
        const n = fs.readSync(this.fd, buffer, done, buffer.length - done, position + done)
        if (n === 0) break
        done += n
      }
    } catch (error) {
      throw ioError('read', this.path, error)
    }
    return done
  }

  async read(buffer: Uint8Array, position: number): Promise<number> {
    checkOffset(position, 'read position', this.path)
    let done = 0
    try {
      while (done < buffer.length) {
        const bytesRead = await this.io.read(this.fd, buffer, done, buffer.length - done, position + done)
        if (bytesRead === 0) break
        done += bytesRead
      }
    } catch (error) {
      throw ioError('read', this.path, error)
    }
    return done
  }

  async write(buffer: Uint8Array, position: number): Promise<void> {
    checkOffset(position, 'write position', this.path)
    let done = 0
    try {
      while (done < buffer.length) done += await this.io.write(this.fd, buffer, done, buffer.length - done, position + done)
    } catch (error) {
      throw ioError('write', this.path, error)
    }
  }

  async writev(buffers: readonly Uint8Array[], position: number): Promise<void> {
    checkOffset(position, 'write position', this.path)
    let total = 0
    for (const buffer of buffers) total += buffer.length
    let done = 0
    try {
      // libuv already retries a short pwritev; a short count reaching here means a later chunk
      // failed after some bytes landed, and writing the rest reports that error.
      while (done < total) done += await this.io.writev(this.fd, done === 0 ? buffers : buffersAfter(buffers, done), position + done)
    } catch (error) {
      throw ioError('write', this.path, error)
    }
  }

  writeSync(buffer: Uint8Array, position: number): void {
    checkOffset(position, 'write position', this.path)
    let done = 0
    try {
      while (done < buffer.length) done += fs.writeSync(this.fd, buffer, done, buffer.length - done, position + done)
    } catch (error) {
      throw ioError('write', this.path, error)
    }
  }

  /** fstat of an open file reads the inode the kernel holds: synchronous (see NodeVfs). */
  async size(): Promise<number> {
    try {
      return fs.fstatSync(this.fd).size
    } catch (error) {
      throw ioError('stat', this.path, error)
    }
  }

  async truncate(size: number): Promise<void> {
    checkOffset(size, 'size', this.path)
    try {
      await this.io.ftruncate(this.fd, size)
    } catch (error) {
      throw ioError('truncate', this.path, error)
    }
  }

  async sync(): Promise<void> {
    try {
      await this.io.fdatasync(this.fd)
    } catch (error) {
      throw ioError('fdatasync', this.path, error)
    }
  }

  queueDurable(steps: readonly DurableStep[]): QueuedDurable {
    return this.durableQueue.queue(this.fd, steps)
  }

  /** Waits for the sequences queued before it: the worker writes through this fd until they settle. */
  /** Synchronous behind the promise: closing a local file's descriptor does not wait for the device (see NodeVfs). */
  async close(): Promise<void> {
    await this.durableQueue.close()
    try {
      fs.closeSync(this.fd)
    } catch (error) {
      throw ioError('close', this.path, error)
    }
  }
}

/**
 * What is left of `buffers` once their first `offset` bytes are written: the buffer `offset` falls
 * inside becomes a view of its unwritten tail. No bytes are copied.
 */
export function buffersAfter(buffers: readonly Uint8Array[], offset: number): Uint8Array[] {
  let skipped = 0
  for (const [index, buffer] of buffers.entries()) {
    if (skipped + buffer.length > offset) return [buffer.subarray(offset - skipped), ...buffers.slice(index + 1)]
    skipped += buffer.length
  }
  return []
}

/**
 * The real disk, through node:fs. `sync` is fdatasync; `syncDir` fsyncs the directory.
 *
 * Calls that only look up or list what the kernel already holds — opening a file, listing a
 * directory, `size` (fstat), `exists` — are made synchronously, behind the same promises: each is a
 * system call of a few microseconds, where a trip through Node's thread pool costs ~0.1 ms idle and
 * 0.3–0.7 ms while the JavaScript thread is busy, and a reopen is a chain of them (reopen and first
 * get of a 122,000-key store, 8 runs each: median 6.1 → 5.1 ms). On a cold
 * cache the kernel may read a directory block from the disk, once. So are `rename` and closing a
 * descriptor: on a local file system both change only what the kernel holds (a rename reaches the
 * disk with the directory's fsync; a close flushes nothing), and a close of a store is a chain of
 * them (each trip ~0.1–0.2 ms of a ~5 ms close, compare's W6). Calls that can wait for the device —
 * read, write, fdatasync, truncate, unlink (freeing a large file's blocks), mkdir, fsync of a
 * directory — stay on the thread pool, so the process keeps running meanwhile.
 */
export class NodeVfs implements Vfs {
  async open(path: string, options: OpenOptions = {}): Promise<VfsFile> {
    try {
      const flags =
        fs.constants.O_RDWR | (options.create === true ? fs.constants.O_CREAT : 0) | (options.dsync === true ? fs.constants.O_DSYNC : 0)
      return new NodeFile(path, fs.openSync(path, flags, 0o644))
    } catch (error) {
      throw ioError('open', path, error)
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      fs.accessSync(path)
      return true
    } catch {
      return false
    }
  }

  async readdir(dir: string): Promise<string[]> {
    try {
      return fs.readdirSync(dir).sort()
    } catch (error) {
      throw ioError('readdir', dir, error)
    }
  }

  async mkdir(dir: string): Promise<void> {
    try {
      await fsp.mkdir(dir, { recursive: true })
    } catch (error) {
      throw ioError('mkdir', dir, error)
    }
  }

  async unlink(path: string): Promise<void> {
    try {
      await fsp.unlink(path)
    } catch (error) {
      throw ioError('unlink', path, error)
    }
  }

  async rename(from: string, to: string): Promise<void> {
    try {
      fs.renameSync(from, to)
    } catch (error) {
      throw ioError('rename', from, error)
    }
  }

  /** One thread-pool trip, the fsync; opening and closing the directory are synchronous (see NodeVfs). */
  async syncDir(dir: string): Promise<void> {
    let fd: number
    try {
      fd = fs.openSync(dir, fs.constants.O_RDONLY)
    } catch (error) {
      throw ioError('fsync directory', dir, error)
    }
    try {
      await new Promise<void>((resolve, reject) => fs.fsync(fd, (error) => (error ? reject(error) : resolve())))
    } catch (error) {
      throw ioError('fsync directory', dir, error)
    } finally {
      fs.closeSync(fd)
    }
  }

  /** A lock file holding the holder's pid (see lock-format.ts); a lock left by a dead process is taken over. */
  lock(path: string): Promise<VfsLock> {
    return takeLock(path)
  }
}
