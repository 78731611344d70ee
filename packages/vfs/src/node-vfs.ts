import * as fs from 'node:fs'
import * as fsp from 'node:fs/promises'
import { dirname, resolve } from 'node:path'
import { TinyDbError, ioError } from './errors.js'
import type { OpenOptions, Vfs, VfsFile, VfsLock } from './vfs.js'

class NodeFile implements VfsFile {
  constructor(
    readonly path: string,
    private readonly handle: fsp.FileHandle,
  ) {}

  readSync(buffer: Uint8Array, position: number): number {
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

  async size(): Promise<number> {
    try {
      return (await this.handle.stat()).size
    } catch (error) {
      throw ioError('stat', this.path, error)
    }
  }

  async truncate(size: number): Promise<void> {
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

// Locks this process holds, by absolute path: a second open of the same directory from the same
// process must fail like one from another process, and the pid in the lock file cannot tell them apart.
const heldLocks = new Set<string>()

function isProcessAlive(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false
  if (pid === process.pid) return false // ours, but not in heldLocks: left by an earlier, finished holder
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The real disk, through node:fs. `sync` is fdatasync; `syncDir` fsyncs the directory. */
export class NodeVfs implements Vfs {
  async open(path: string, options: OpenOptions = {}): Promise<VfsFile> {
    try {
      const handle = await fsp.open(path, options.create === true ? fs.constants.O_RDWR | fs.constants.O_CREAT : fs.constants.O_RDWR, 0o644)
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

  async lock(path: string): Promise<VfsLock> {
    const key = resolve(path)
    if (heldLocks.has(key)) throw new TinyDbError('LOCKED', `${path} is already open in this process`, { file: path })
    heldLocks.add(key)
    try {
      await takeLockFile(path)
    } catch (error) {
      heldLocks.delete(key)
      throw error
    }
    let released = false
    return {
      release: async () => {
        if (released) return
        released = true
        heldLocks.delete(key)
        await fsp.unlink(path).catch(() => undefined)
      },
    }
  }
}

/**
 * The lock is a file holding the holder's pid. It is created by hard-linking a fully written
 * temporary file, so the lock file is never seen empty; a lock whose pid is dead is removed and
 * taken over, which is what lets a store killed with SIGKILL be reopened.
 */
async function takeLockFile(path: string): Promise<void> {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`
  try {
    await fsp.writeFile(temporary, `${process.pid}\n`)
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        await fsp.link(temporary, path)
        return
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError('lock', path, error)
      }
      const holder = Number.parseInt(await fsp.readFile(path, 'utf8').catch(() => ''), 10)
      if (isProcessAlive(holder)) {
        throw new TinyDbError('LOCKED', `${dirname(path)} is locked by process ${holder}`, { file: path })
      }
      await fsp.unlink(path).catch(() => undefined)
    }
    throw new TinyDbError('LOCKED', `could not take the lock ${path}: another process keeps taking it`, { file: path })
  } finally {
    await fsp.unlink(temporary).catch(() => undefined)
  }
}
