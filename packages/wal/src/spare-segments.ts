import type { Vfs } from '@tinydb/vfs'
import { segmentPath, type Spare } from './segment-directory.js'

/**
 * Dropped segments beyond this many spares are deleted rather than recycled: enough to absorb what
 * one checkpoint usually frees, bounded so an idle log does not keep much disk.
 */
const MAX_SPARES = 4
const ZERO_CHUNK_SIZE = 1024 * 1024

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

  /** A ready spare, removed from the pool: prepared now if the background preparation failed or lagged. */
  take(): Promise<Spare> {
    return this.inLane(async () => {
      const spare = this.spares[0] ?? this.create()
      if (!spare.ready) await this.prepare(spare)
      this.spares.shift()
      return spare
    })
  }

  /**
   * Prepares the next spare in the background; the promise settles when that is done (or given up)
   * and never rejects. A failure (ENOSPC, EIO) is not reported here: the next `take` tries again
   * and reports it to the commit group that needed the segment.
   */
  prepareAhead(): Promise<void> {
    return this.inLane(async () => {
      const spare = this.spares[0] ?? this.create()
      if (!spare.ready) await this.prepare(spare, true)
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
            const spare: Spare = { seq, path: segmentPath(this.dir, seq), ready: false }
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
    const spare: Spare = { seq, path: segmentPath(this.dir, seq), ready: false }
    this.spares.push(spare)
    return spare
  }

  /**
   * Preallocates by writing zeros up to the segment size (not a sparse truncate, which would leave
   * block allocation to the fdatasync of every commit), syncs, and makes the entry durable.
   */
  private async prepare(spare: Spare, background = false): Promise<void> {
    const file = await this.vfs.open(spare.path, { create: true })
    try {
      const zeros = (this.zeros ??= Buffer.alloc(Math.min(ZERO_CHUNK_SIZE, this.segmentSize)))
      for (let at = await file.size(); at < this.segmentSize; at += zeros.length) {
        if (background && this.stopping) return
        await file.write(zeros.subarray(0, Math.min(zeros.length, this.segmentSize - at)), at)
      }
      if (this.durable) await file.sync()
    } finally {
      await file.close()
    }
    if (this.durable) await this.vfs.syncDir(this.dir)
    spare.ready = true
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
