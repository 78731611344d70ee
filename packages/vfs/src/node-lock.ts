import * as fsp from 'node:fs/promises'
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
 */
export async function takeLock(path: string): Promise<VfsLock> {
  const key = resolve(path)
  if (heldLocks.has(key)) throw new TinyDbError('LOCKED', `${path} is already held by this process`, { file: path })
  heldLocks.add(key)
  let inode: bigint
  try {
    inode = await linkLockFile(path)
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
      const current = await fsp.stat(path, { bigint: true }).catch(() => undefined)
      if (current?.ino === inode) await fsp.unlink(path).catch(() => undefined)
    },
  }
}

async function linkLockFile(path: string): Promise<bigint> {
  const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}`
  try {
    await fsp.writeFile(temporary, encodeLockOwner(await currentOwner()))
    const inode = (await fsp.stat(temporary, { bigint: true })).ino
    for (let attempt = 0; attempt < 5; attempt++) {
      try {
        await fsp.link(temporary, path)
        return inode
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw ioError('lock', path, error)
      }
      const found = await readLockFile(path)
      if (found === undefined) continue // released meanwhile: try again
      if (found.decoded.kind === 'foreign') {
        throw new TinyDbError('LOCKED', `${path} exists and is not a TinyDB lock file; not touching it`, { file: path })
      }
      if (found.decoded.kind === 'owner' && (await isAlive(found.decoded.owner))) {
        throw new TinyDbError('LOCKED', `${dirname(path)} is locked by process ${found.decoded.owner.pid}`, { file: path })
      }
      await removeStale(path, found.inode)
    }
    throw new TinyDbError('LOCKED', `could not take the lock ${path}: other processes keep taking it`, { file: path })
  } finally {
    await fsp.unlink(temporary).catch(() => undefined)
  }
}

async function readLockFile(path: string): Promise<{ inode: bigint; decoded: ReturnType<typeof decodeLockFile> } | undefined> {
  let handle: fsp.FileHandle | undefined
  try {
    handle = await fsp.open(path, 'r')
    const inode = (await handle.stat({ bigint: true })).ino
    return { inode, decoded: decodeLockFile(await handle.readFile('utf8')) }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw ioError('lock', path, error)
  } finally {
    await handle?.close()
  }
}

/**
 * Removes the stale lock file, and only it. Two processes may find the same stale lock; the first
 * takes it over, and the second must not then delete the fresh one. So the file is moved aside
 * (atomic), compared by inode with the one judged stale, and put back if it is not that one.
 */
export async function removeStale(path: string, staleInode: bigint): Promise<void> {
  const aside = `${path}.stale.${process.pid}.${Math.random().toString(36).slice(2)}`
  try {
    await fsp.rename(path, aside)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw ioError('lock', path, error)
  }
  try {
    if ((await fsp.stat(aside, { bigint: true })).ino !== staleInode) await fsp.link(aside, path).catch(() => undefined)
  } finally {
    await fsp.unlink(aside).catch(() => undefined)
  }
}

let bootId: Promise<string | undefined> | undefined

function currentBootId(): Promise<string | undefined> {
  bootId ??= fsp
    .readFile('/proc/sys/kernel/random/boot_id', 'utf8')
    .then((text) => text.trim() || undefined)
    .catch(() => undefined)
  return bootId
}

/** State and start time of a process from /proc/<pid>/stat (fields 3 and 22), where there is a /proc. */
async function processStat(pid: number | 'self'): Promise<{ state: string; startTime: string } | undefined> {
  const text = await fsp.readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined)
  if (text === undefined) return undefined
  // The command name (field 2) is in parentheses and may itself contain spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  const state = fields[0]
  const startTime = fields[19]
  return state === undefined || startTime === undefined ? undefined : { state, startTime }
}

async function currentOwner(): Promise<LockOwner> {
  const [boot, stat] = await Promise.all([currentBootId(), processStat('self')])
  return {
    pid: process.pid,
    ...(boot === undefined ? {} : { bootId: boot }),
    ...(stat === undefined ? {} : { startTime: stat.startTime }),
  }
}

async function isAlive(owner: LockOwner): Promise<boolean> {
  const boot = await currentBootId()
  if (owner.bootId !== undefined && boot !== undefined && owner.bootId !== boot) return false // written before a reboot
  // Our own pid, but not in heldLocks: left by an earlier holder that had our pid, or by us without release.
  if (owner.pid === process.pid) return false
  try {
    process.kill(owner.pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  const stat = await processStat(owner.pid)
  if (stat === undefined) return true // no /proc: trust the pid
  if (stat.state === 'Z' || stat.state === 'X') return false // exited, not yet reaped: holds nothing
  return owner.startTime === undefined || owner.startTime === stat.startTime // a different start: pid reused
}
