import * as fs from 'node:fs'
import * as fsp from 'node:fs/promises'
import { checkOffset } from './arguments.js'
import { ioError } from './errors.js'
import { takeLock } from './node-lock.js'
import type { OpenOptions, Vfs, VfsFile, VfsLock } from './vfs.js'

class NodeFile implements VfsFile {
  constructor(
    readonly path: string,
    private readonly handle: fsp.FileHandle,
  ) {}

  readSync(buffer: Uint8Array, position: number): number {
    checkOffset(position, 'read position', this.path)
    let done = 0
    try {
      while (done < buffer.length) {
        const n = fs.readSync(this.handle.fd, buffer, done, buffer.length - done, position + done)
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
        const { bytesRead } = await this.handle.read(buffer, done, buffer.length - done, position + done)
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
      while (done < buffer.length) {
        const { bytesWritten } = await this.handle.write(buffer, done, buffer.length - done, position + done)
        done += bytesWritten
      }
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
      while (done < total) {
        const { bytesWritten } = await this.handle.writev(done === 0 ? buffers : buffersAfter(buffers, done), position + done)
        done += bytesWritten
      }
    } catch (error) {
      throw ioError('write', this.path, error)
    }
  }

  writeSync(buffer: Uint8Array, position: number): void {
    checkOffset(position, 'write position', this.path)
    let done = 0
    try {
      while (done < buffer.length) done += fs.writeSync(this.handle.fd, buffer, done, buffer.length - done, position + done)
    } catch (error) {
      throw ioError('write', this.path, error)
    }
  }

  async size(): Promise<number> {
    try {
      return (await this.handle.stat()).size
    } catch (error) {
      throw ioError('stat', this.path, error)
    }
  }

  async truncate(size: number): Promise<void> {
    checkOffset(size, 'size', this.path)
    try {
      await this.handle.truncate(size)
    } catch (error) {
      throw ioError('truncate', this.path, error)
    }
  }

  async sync(): Promise<void> {
    try {
      await this.handle.datasync()
    } catch (error) {
      throw ioError('fdatasync', this.path, error)
    }
  }

  async close(): Promise<void> {
    try {
      await this.handle.close()
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

/** The real disk, through node:fs. `sync` is fdatasync; `syncDir` fsyncs the directory. */
export class NodeVfs implements Vfs {
  async open(path: string, options: OpenOptions = {}): Promise<VfsFile> {
    try {
      const flags =
        fs.constants.O_RDWR | (options.create === true ? fs.constants.O_CREAT : 0) | (options.dsync === true ? fs.constants.O_DSYNC : 0)
      const handle = await fsp.open(path, flags, 0o644)
      return new NodeFile(path, handle)
    } catch (error) {
      throw ioError('open', path, error)
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      await fsp.access(path)
      return true
    } catch {
      return false
    }
  }

  async readdir(dir: string): Promise<string[]> {
    try {
      return (await fsp.readdir(dir)).sort()
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
      await fsp.rename(from, to)
    } catch (error) {
      throw ioError('rename', from, error)
    }
  }

  async syncDir(dir: string): Promise<void> {
    let handle: fsp.FileHandle | undefined
    try {
      handle = await fsp.open(dir, fs.constants.O_RDONLY)
      await handle.sync()
    } catch (error) {
      throw ioError('fsync directory', dir, error)
    } finally {
      await handle?.close()
    }
  }

  /** A lock file holding the holder's pid (see lock-format.ts); a lock left by a dead process is taken over. */
  lock(path: string): Promise<VfsLock> {
    return takeLock(path)
  }
}
