import type { Vfs } from '@tinydb/vfs'
import { segmentPath, type Spare } from './segment-directory.js'

/**
 * Dropped segments beyond this many spares are deleted rather than recycled: enough to absorb what
 * one checkpoint usually frees, bounded so an idle log does not keep much disk.
 */
const MAX_SPARES = 4
/** Zeros are written in chunks this long; `stopPreparing` takes effect between two of them. */
const ZERO_CHUNK_SIZE = 256 * 1024

/**
 * The files a segment can start in, kept ready ahead of need so that rolling over to a new segment
 * costs the commit only its header write, not a file creation, an 8 MiB zero fill and a directory
 * sync. Every file operation here runs in one lane, one at a time, so preparing, taking and
 * recycling never race over a file.
 *
 * A spare's seq is higher than every segment's, so wherever a crash stops, spares sort after the
 * log; an unused file there is what open expects (see `checkSegmentHeader`).
 */
export class SpareSegments {
  /** Settles after the last queued task; never rejects. */
  private lane: Promise<void> = Promise.resolve()
  private zeros: Buffer | undefined
  /** Set by `stopPreparing`: background preparation stops at its next chunk. */
  private stopping = false

  constructor(
    private readonly vfs: Vfs,
    private readonly dir: string,
    readonly segmentSize: number,
    /** False in durability 'none': skip the syncs, which only matter for a power cut. */
    private readonly durable: boolean,
    private readonly spares: Spare[],
    private nextSeq: number,
  ) {}

  /**
   * A spare prepared to at least `size` bytes, removed from the pool: prepared now if the background
   * preparation failed or lagged.
   */
  take(size: number): Promise<Spare> {
    return this.inLane(async () => {
      const spare = this.spares[0] ?? this.create()
      if (spare.preparedSize < size) await this.prepare(spare, size)
      this.spares.shift()
      return spare
    })
  }

  /**
   * Prepares the next spare in the background; the promise settles when that is done (or given up)
   * and never rejects. A failure (ENOSPC, EIO) is not reported here: the next `take` tries again
   * and reports it to the commit group that needed the segment.
   */
  prepareAhead(size: number): Promise<void> {
    return this.inLane(async () => {
      const spare = this.spares[0] ?? this.create()
      if (spare.preparedSize < size) await this.prepare(spare, size, true)
    }).catch(() => undefined)
  }

  /**
   * Makes background preparation stop at its next chunk (for close: a log that is closing needs no
   * spare, and a short-lived open should not wait for a segment's worth of zeros). The half-filled
   * file stays a spare, not ready; the next preparation continues where this one stopped.
   */
  stopPreparing(): void {
    this.stopping = true
  }

  /**
   * Recycles (renames to a fresh seq, to be rewritten with a new header and salt) or deletes the
   * files of dropped segments, oldest first, then syncs the directory. Until that sync a crash may
   * bring some back; they hold only records older than the caller needs, and sort before the log.
   */
  retire(paths: readonly string[]): Promise<void> {
    return this.inLane(async () => {
      let changed = false
      try {
        for (const path of paths) {
          if (this.spares.length < MAX_SPARES) {
            const seq = this.nextSeq++
            const spare: Spare = { seq, path: segmentPath(this.dir, seq), preparedSize: 0 }
            await this.vfs.rename(path, spare.path)
            this.spares.push(spare)
          } else {
            await this.vfs.unlink(path)
          }
          changed = true
        }
      } finally {
        if (changed && this.durable) await this.vfs.syncDir(this.dir)
      }
    })
  }

  /** Waits for file operations in progress. */
  async settle(): Promise<void> {
    await this.lane.catch(() => undefined)
  }

  private create(): Spare {
    const seq = this.nextSeq++
    const spare: Spare = { seq, path: segmentPath(this.dir, seq), preparedSize: 0 }
    this.spares.push(spare)
    return spare
  }

  /**
   * Preallocates by writing zeros up to `size` (not a sparse truncate, which would leave block
   * allocation to the fdatasync of every commit), syncs, and makes the entry durable. A file
   * already that long (recycled, or prepared for a larger segment) is only synced.
   */
  private async prepare(spare: Spare, size: number, background = false): Promise<void> {
    const file = await this.vfs.open(spare.path, { create: true })
    let prepared: number
    try {
      const zeros = (this.zeros ??= Buffer.alloc(Math.min(ZERO_CHUNK_SIZE, this.segmentSize)))
      const initial = await file.size()
      for (let at = initial; at < size; at += zeros.length) {
        if (background && this.stopping) return
        await file.write(zeros.subarray(0, Math.min(zeros.length, size - at)), at)
      }
      prepared = Math.max(initial, size)
      if (this.durable) await file.sync()
    } finally {
      await file.close()
    }
    if (this.durable) await this.vfs.syncDir(this.dir)
    spare.preparedSize = prepared
  }

  private inLane<T>(task: () => Promise<T>): Promise<T> {
    const run = this.lane.then(task)
    this.lane = run.then(
      () => undefined,
      () => undefined,
    )
    return run
  }
}
