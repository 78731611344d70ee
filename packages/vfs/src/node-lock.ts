import * as fs from 'node:fs'
import { dirname, resolve } from 'node:path'
import { TinyDbError, ioError } from './errors.js'
import { decodeLockFile, encodeLockOwner, type LockOwner } from './lock-format.js'
import type { VfsLock } from './vfs.js'

// Locks this process holds, by absolute path: a second open of the same directory from the same
// process must fail like one from another process, and the lock file cannot tell them apart.
const heldLocks = new Set<string>()

/**
 * Takes the lock file `path`. The file is written in full under a temporary name and hard-linked
 * into place, so taking it is atomic and it is never seen half-written while its holder lives. A
 * lock whose holder is dead (killed, or the machine rebooted) is taken over.
 *
 * The lock file is deliberately never fsynced: it protects against live processes only, and after a
 * power cut the boot id in it (or, lacking one, the dead pid) marks it stale.
 *
 * Its half-dozen file operations are synchronous system calls: each takes microseconds on a local
 * file system, where a trip through Node's thread pool costs ~0.3 ms of a cold open, and taking the
 * lock is the first step of every open (compare's W6 spent 1.7–4 ms here).
 */
export async function takeLock(path: string): Promise<VfsLock> {
  const key = resolve(path)
  if (heldLocks.has(key)) throw new TinyDbError('LOCKED', `${path} is already held by this process`, { file: path })
  heldLocks.add(key)
  let inode: bigint
  try {
    inode = linkLockFile(path)
  } catch (error) {
    heldLocks.delete(key)
    throw ioError('lock', path, error) // a TinyDbError (LOCKED, IO) passes through unchanged
  }
  let released = false
  return {
    release: async () => {
      if (released) return
      released = true
      heldLocks.delete(key)
      // Remove the file only if it is still ours: had we been judged dead, it may be someone else's now.
      const current = statOrUndefined(path)
      if (current?.ino === inode) unlinkQuietly(path)
    },
  }
}

function linkLockFile(path: string): bigint {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`
  try {
    fs.writeFileSync(temporary, encodeLockOwner(currentOwner()))
    const inode = fs.statSync(temporary, { bigint: true }).ino
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        fs.linkSync(temporary, path)
        return inode
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError('lock', path, error)
      }
      const found = readLockFile(path)
      if (found === undefined) continue // released meanwhile: try again
      if (found.decoded.kind === 'foreign') {
        throw new TinyDbError('LOCKED', `${path} exists and is not a TinyDB lock file; not touching it`, { file: path })
      }
      if (found.decoded.kind === 'owner' && isAlive(found.decoded.owner)) {
        throw new TinyDbError('LOCKED', `${dirname(path)} is locked by process ${found.decoded.owner.pid}`, { file: path })
      }
      removeStaleSync(path, found.inode)
    }
    throw new TinyDbError('LOCKED', `could not take the lock ${path}: other processes keep taking it`, { file: path })
  } finally {
    unlinkQuietly(temporary)
  }
}

function readLockFile(path: string): { inode: bigint; decoded: ReturnType<typeof decodeLockFile> } | undefined {
  let fd: number | undefined
  try {
    fd = fs.openSync(path, 'r')
    const inode = fs.fstatSync(fd, { bigint: true }).ino
    return { inode, decoded: decodeLockFile(fs.readFileSync(fd, 'utf8')) }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw ioError('lock', path, error)
  } finally {
    if (fd !== undefined) fs.closeSync(fd)
  }
}

/**
 * Removes the stale lock file, and only it. Two processes may find the same stale lock; the first
 * takes it over, and the second must not then delete the fresh one. So the file is moved aside
 * (atomic), compared by inode with the one judged stale, and put back if it is not that one.
 */
export function removeStale(path: string, staleInode: bigint): Promise<void> {
  try {
    removeStaleSync(path, staleInode)
    return Promise.resolve()
  } catch (error) {
    return Promise.reject(error)
  }
}

function removeStaleSync(path: string, staleInode: bigint): void {
  const aside = `${path}.stale.${process.pid}.${Math.random().toString(36).slice(2)}`
  try {
    fs.renameSync(path, aside)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw ioError('lock', path, error)
  }
  try {
    if (fs.statSync(aside, { bigint: true }).ino !== staleInode) {
      try {
        fs.linkSync(aside, path)
      } catch {
        // Someone took the lock meanwhile: theirs stands, ours is gone either way.
      }
    }
  } finally {
    unlinkQuietly(aside)
  }
}

function statOrUndefined(path: string): fs.BigIntStats | undefined {
  return fs.statSync(path, { bigint: true, throwIfNoEntry: false })
}

function unlinkQuietly(path: string): void {
  try {
    fs.unlinkSync(path)
  } catch {
    // Already gone, or not ours to remove: nothing depends on it.
  }
}

let bootId: { readonly value: string | undefined } | undefined

function currentBootId(): string | undefined {
  bootId ??= { value: readProcFile('/proc/sys/kernel/random/boot_id')?.trim() || undefined }
  return bootId.value
}

function readProcFile(path: string): string | undefined {
  try {
    return fs.readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** State and start time of a process from /proc/<pid>/stat (fields 3 and 22), where there is a /proc. */
function processStat(pid: number | 'self'): { state: string; startTime: string } | undefined {
  const text = readProcFile(`/proc/${pid}/stat`)
  if (text === undefined) return undefined
  // The command name (field 2) is in parentheses and may itself contain spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const state = fields[0]
  const startTime = fields[19]
  return state === undefined || startTime === undefined ? undefined : { state, startTime }
}

function currentOwner(): LockOwner {
  const boot = currentBootId()
  const stat = processStat('self')
  return {
    pid: process.pid,
    ...(boot === undefined ? {} : { bootId: boot }),
    ...(stat === undefined ? {} : { startTime: stat.startTime }),
  }
}

function isAlive(owner: LockOwner): boolean {
  const boot = currentBootId()
  if (owner.bootId !== undefined && boot !== undefined && owner.bootId !== boot) return false // written before a reboot
  // Our own pid, but not in heldLocks: left by an earlier holder that had our pid, or by us without release.
  if (owner.pid === process.pid) return false
  try {
    process.kill(owner.pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const stat = processStat(owner.pid)
  if (stat === undefined) return true // no /proc: trust the pid
  if (stat.state === 'Z' || stat.state === 'X') return false // exited, not yet reaped: holds nothing
  return owner.startTime === undefined || owner.startTime === stat.startTime // a different start: pid reused
}
