import { basename, dirname, join } from 'node:path/posix'
import { storeLayout, writeDataFile } from '@tinydb/recovery'
import { NodeVfs, TinyDbError, type Vfs } from '@tinydb/vfs'

/**
 * What a backup reads: a read-only view of the store at one moment (`db.snapshot()`), or anything
 * else that yields entries in strictly ascending key order.
 */
export interface BackupSource {
  scan(): AsyncIterable<[key: Uint8Array, value: Uint8Array]>
}

export interface BackupOptions {
  /** The I/O port; defaults to the real file system. */
  readonly vfs?: Vfs
  /** Page size of the backup, a power of two in [512, 65536]. Default 4096 (pass the store's). */
  readonly pageSize?: number
  /** Bytes of finished pages held in memory before they are written. Default 16 MiB. */
  readonly cacheSize?: number
  /** Called after each entry copied (often: throttle the display yourself). */
  readonly onProgress?: (progress: BackupProgress) => void
}

export interface BackupProgress {
  readonly entries: number
}

export interface BackupReport {
  readonly dest: string
  readonly entries: number
  readonly pageSize: number
  readonly pages: number
  readonly bytes: number
}

const DEFAULT_PAGE_SIZE = 4096
const DEFAULT_CACHE_SIZE = 16 * 1024 * 1024

/**
 * Writes the entries of `source` as a complete store at `dest`: a compact data file (built bottom-up,
 * no free pages) whose checkpoint LSN is 0 beside an empty log, so `open(dest)` finds exactly those
 * entries and the next write gets LSN 1. `dest` must not exist, or be an empty directory
 * (INVALID_ARGUMENT otherwise).
 *
 * Atomic: the store is built in `dest.partial-<pid>`, every file and directory entry in it made
 * durable, then the directory is renamed to `dest` and the parent directory synced. A crash leaves
 * `dest` absent (or the empty directory it was) or complete, never half written; a leftover partial
 * directory is reused by the next backup from the same process id and is otherwise inert.
 */
export async function backupSnapshot(source: BackupSource, dest: string, options: BackupOptions = {}): Promise<BackupReport> {
  if (typeof dest !== 'string' || dest.length === 0) throw new TinyDbError('INVALID_ARGUMENT', 'backup expects a destination path')
  if (source === null || typeof source !== 'object' || typeof source.scan !== 'function') {
    throw new TinyDbError('INVALID_ARGUMENT', 'backup expects a source with a scan() method (db.snapshot())')
  }
  const vfs = options.vfs ?? new NodeVfs()
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE
  await assertUsableDestination(vfs, dest)
  const partial = join(dirname(dest), `${basename(dest)}.partial-${process.pid}`)
  const layout = storeLayout(partial)
  await ensureDurableDir(vfs, dirname(dest))
  await clearPartial(vfs, partial)
  await vfs.mkdir(layout.walDir)
  const onProgress = options.onProgress
  const written = await writeDataFile(vfs, layout.dataPath, source.scan(), {
    pageSize,
    checkpointLsn: 0,
    flushBytes: options.cacheSize ?? DEFAULT_CACHE_SIZE,
    ...(onProgress === undefined ? {} : { onEntry: (entries: number) => onProgress({ entries }) }),
  })
  // The data file's entry was synced when the pager created it; this covers the log directory.
  await vfs.syncDir(partial)
  await vfs.rename(partial, dest)
  await vfs.syncDir(dirname(dest))
  return { dest, entries: written.entries, pageSize: written.pageSize, pages: written.pageCount, bytes: written.pageCount * written.pageSize }
}

async function assertUsableDestination(vfs: Vfs, dest: string): Promise<void> {
  if (!(await vfs.exists(dest))) return
  let names: string[]
  try {
    names = await vfs.readdir(dest)
  } catch {
    throw new TinyDbError('INVALID_ARGUMENT', `backup destination ${dest} exists and is not a directory`)
  }
  if (names.length > 0) throw new TinyDbError('INVALID_ARGUMENT', `backup destination ${dest} is not empty`)
}

/** Creates `dir` and its missing parents, each made durable in its parent (like `open` does). */
async function ensureDurableDir(vfs: Vfs, dir: string): Promise<void> {
  if (await vfs.exists(dir)) return
  await ensureDurableDir(vfs, dirname(dir))
  await vfs.mkdir(dir)
  await vfs.syncDir(dirname(dir))
}

/** Empties a partial directory left by a crashed backup of this process id (Vfs has no rmdir). */
async function clearPartial(vfs: Vfs, partial: string): Promise<void> {
  if (!(await vfs.exists(partial))) return
  const layout = storeLayout(partial)
  if (await vfs.exists(layout.walDir)) {
    for (const name of await vfs.readdir(layout.walDir)) await vfs.unlink(join(layout.walDir, name))
  }
  for (const name of await vfs.readdir(partial)) {
    if (name !== basename(layout.walDir)) await vfs.unlink(join(partial, name))
  }
}
