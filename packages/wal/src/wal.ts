import { randomInt } from 'node:crypto'
import { TinyDbError, type Vfs } from '@tinydb/vfs'
import { writeCleanEnd } from './clean-end.js'
import { CommitGroup } from './commit-group.js'
import { CommitWritePolicy } from './commit-write-policy.js'
import { frameSize } from './frame-format.js'
import { GroupStatsCounter, type WalGroupStats } from './group-stats.js'
import { readRecords } from './log-reader.js'
import { resolveWalOptions, type ResolvedWalOptions, type WalOptions } from './options.js'
import { scanDirectory, type LogDirectory, type Segment } from './segment-directory.js'
import { SEGMENT_HEADER_SIZE } from './segment-format.js'
import { SegmentSizes } from './segment-sizes.js'
import { SegmentWriter } from './segment-writer.js'
import { SpareSegments } from './spare-segments.js'
import type { WalOpenReport, WalRecord } from './types.js'

/**
 * A durable log of opaque records in segment files, with group commit.
 *
 * Group commit: `append` encodes its record into the gathering commit group. When no group is
 * being written, the gathering one is flushed on a microtask (so appends of one tick share it);
 * while one is being written, appends gather into the next, flushed as soon as the current one
 * settles. At most one write and one fdatasync are in flight.
 */
export class Wal {
  readonly openReport: WalOpenReport
  private readonly segments: Segment[]
  private readonly spares: SpareSegments
  private readonly writer: SegmentWriter
  private readonly commitWrites: CommitWritePolicy
  private readonly segmentSizes: SegmentSizes
  private readonly groupCounter = new GroupStatsCounter()
  /** An inline commit was made and the event loop has not turned since (see `writeGroup`). */
  private inlineSinceTurn = false
  /**
   * `loopTurned` is queued (setImmediate) and has not run. One is enough for any number of commits:
   * whenever it runs, the loop has gone round after every commit made before that.
   */
  private turnWatched = false
  private readonly loopTurned = (): void => {
    this.turnWatched = false
    this.inlineSinceTurn = false
    this.commitWrites.loopTurned(this.options.clock())
  }
  private nextLsnValue: number
  private durableLsn: number
  private poisonError: TinyDbError | undefined
  private state: 'open' | 'closing' | 'closed' = 'open'
  private closing: Promise<void> | undefined

  private gathering = new CommitGroup()
  private standby = new CommitGroup()
  private flushScheduled = false
  /** True while `flushGroups` runs; it clears this itself, in the same step as its last check for work. */
  private flushing = false
  private flushDone: Promise<void> = Promise.resolve()
  private readonly isLive = (segment: Segment): boolean => this.segments.includes(segment)
  private readonly startFlush = (): void => {
    this.flushScheduled = false
    this.flushing = true
    this.flushDone = this.flushGroups()
  }

  // Where the next group to be flushed will go: right after the last group handed to the writer.
  // No segment yet in this open (capacity 0), so the first group starts a new one: appending after
  // the recovered end of an old segment could line stale bytes of a torn group up with new LSNs.
  private tailOffset = 0
  private tailCapacity = 0
  private tailSalt = 0

  private constructor(
    private readonly vfs: Vfs,
    private readonly options: ResolvedWalOptions,
    private readonly dir: string,
    found: LogDirectory,
  ) {
    this.segments = found.segments
    this.nextLsnValue = found.lastLsn + 1
    this.durableLsn = found.lastLsn
    const durable = options.durability === 'sync'
    this.segmentSizes = new SegmentSizes(options.segmentSize)
    this.spares = new SpareSegments(vfs, dir, options.segmentSize, durable, found.spares, found.nextSeq)
    this.writer = new SegmentWriter(vfs, this.spares, this.segments, durable, this.segmentSizes)
    this.commitWrites = new CommitWritePolicy(options.commitWrites)
    this.openReport = {
      segments: found.segments.length,
      firstLsn: found.firstLsn,
      lastLsn: found.lastLsn,
      discardedTailBytes: found.discardedTailBytes,
    }
  }

  /**
   * Opens the log in `dir` (created if missing). Reads the segment headers and the last segment
   * (unless a clean close recorded where it ends); discards a torn tail silently; throws
   * `CORRUPTION` for damage to durable records. Writes nothing but a missing directory: the first
   * append starts a new segment (see `prepareForAppends`). The caller must make sure no other Wal
   * has `dir` open (e.g. with `vfs.lock`).
   */
  static async open(vfs: Vfs, dir: string, options?: WalOptions): Promise<Wal> {
    const resolved = resolveWalOptions(options)
    if (typeof dir !== 'string' || dir.length === 0) throw new TinyDbError('INVALID_ARGUMENT', 'Wal.open expects a directory path')
    return new Wal(vfs, resolved, dir, await scanDirectory(vfs, dir, resolved.durability === 'sync'))
  }

  /**
   * Starts preparing, in the background, the segment file the first append of this open will need,
   * unless a spare is ready: a new file is zeros and two syncs (the first segment of an open is
   * 1 MiB, ~3 ms here; see `SegmentSizes`), which the first append would otherwise wait for. `open` does not do this itself, so
   * that opening a log — to inspect or recover it — writes nothing, and so that the zeros do not
   * compete with the caller's own opening I/O (measured: starting it at open made a new store's
   * open slower by more than it saved its first put); call it once the log is known good and about
   * to be written. The promise settles once the file is ready (or the attempt is
   * given up) and never rejects: a failure is reported by the first append, which retries. `close`
   * stops a preparation still running at its next 1 MiB chunk.
   */
  prepareForAppends(): Promise<void> {
    if (this.state !== 'open' || this.poisonError !== undefined) return Promise.resolve()
    return this.writer.prepareFirstSegment()
  }

  /**
   * Where commit groups of up to `MAX_INLINE_GROUP_BYTES` go now, 'inline' or 'thread-pool' (while
   * the process is not found busy), and the moving average of the measured write times behind that
   * choice, in ms (see `WalOptions.commitWrites`).
   */
  get commitWriteState(): { readonly small: 'inline' | 'thread-pool'; readonly averageMs: number } {
    return this.commitWrites.state
  }

  /** What the commit groups written since open cost: how many, their records and bytes, and the time their writes took. */
  get groupStats(): WalGroupStats {
    return this.groupCounter.snapshot
  }

  /** The LSN the next `append` gets. */
  get nextLsn(): number {
    return this.nextLsnValue
  }

  /** The highest LSN whose group has been written (and, in durability 'sync', fdatasynced); 0 if none. */
  get lastDurableLsn(): number {
    return this.durableLsn
  }

  /** True after a failed write or fdatasync: appends are refused until the log is reopened. */
  get poisoned(): boolean {
    return this.poisonError !== undefined
  }

  /**
   * Appends one record and resolves with its LSN once its commit group is durable. The payload is
   * copied before `append` returns. Rejects with `TOO_LARGE` (nothing written), `CLOSED`,
   * `POISONED`, or — for the group whose write or fdatasync failed — the `IO` error itself.
   */
  async append(payload: Uint8Array): Promise<number> {
    if (this.state !== 'open') throw new TinyDbError('CLOSED', 'the log is closed')
    if (this.poisonError !== undefined) throw this.poisonError
    if (!(payload instanceof Uint8Array)) throw new TinyDbError('INVALID_ARGUMENT', 'append expects a Uint8Array payload')
    if (payload.length > this.options.maxRecordSize) {
      throw new TinyDbError('TOO_LARGE', `a log record of ${payload.length} bytes exceeds maxRecordSize ${this.options.maxRecordSize}`)
    }
    const lsn = this.nextLsnValue++
    const group = this.gathering
    this.addToGroup(group, payload, lsn)
    if (!this.flushScheduled && !this.flushing) {
      this.flushScheduled = true
      // A resolved promise, not queueMicrotask: Node wraps every queueMicrotask callback in an
      // AsyncResource (async_hooks bookkeeping on every append: ~4 µs of a lone put in a cold process).
      RESOLVED.then(this.startFlush)
    }
    await group.done
    return lsn
  }

  /**
   * Every record with `lsn >= fromLsn` (default: all), in LSN order, up to the last one durable
   * when `read` was called. CRCs are verified; damage to a durable record throws `CORRUPTION`
   * naming the segment file and offset. A log whose first record is after `fromLsn` (earlier
   * segments dropped) starts at its first record; segments that a `dropBefore` removes while
   * the iteration runs are skipped.
   */
  read(fromLsn = 1): AsyncIterable<WalRecord> {
    if (!Number.isSafeInteger(fromLsn) || fromLsn < 0) throw new TinyDbError('INVALID_ARGUMENT', `fromLsn must be an integer >= 0, got ${fromLsn}`)
    if (this.state === 'closed') throw new TinyDbError('CLOSED', 'the log is closed')
    return readRecords(this.vfs, this.segments.slice(), fromLsn, this.durableLsn, this.isLive)
  }

  /**
   * Approximate log bytes holding records with an LSN above `lsn` (frames of a segment are assumed
   * evenly sized): what a checkpoint at `lsn` would let `dropBefore` reclaim, roughly.
   */
  bytesSince(lsn: number): number {
    let total = 0
    for (let index = 0; index < this.segments.length; index++) {
      const segment = this.segments[index] as Segment
      const next = this.segments[index + 1]
      const lastLsn = next === undefined ? (segment.lastLsn ?? this.durableLsn) : next.firstLsn - 1
      if (lastLsn <= lsn || lastLsn < segment.firstLsn) continue
      const used = (segment.endOffset ?? segment.size) - SEGMENT_HEADER_SIZE
      total += segment.firstLsn > lsn ? used : (used * (lastLsn - lsn)) / (lastLsn - segment.firstLsn + 1)
    }
    return Math.round(total)
  }

  /**
   * Deletes or recycles the segments holding only records before `lsn - 1`. The segment holding
   * `lsn - 1`, the last segment (whose LSNs are where the next open continues) and the segment being
   * written are always kept. The directory is synced after.
   */
  async dropBefore(lsn: number): Promise<void> {
    if (!Number.isSafeInteger(lsn) || lsn < 0) throw new TinyDbError('INVALID_ARGUMENT', `dropBefore expects an integer lsn >= 0, got ${lsn}`)
    if (this.state !== 'open') throw new TinyDbError('CLOSED', 'the log is closed')
    const dropped: string[] = []
    for (let next = this.segments[1]; next !== undefined && next.firstLsn - 1 < lsn - 1; next = this.segments[1]) {
      dropped.push((this.segments.shift() as Segment).path)
    }
    if (dropped.length > 0) await this.spares.retire(dropped)
  }

  /** Waits for appends in flight, then closes the files. Closing a closed log does nothing. */
  close(): Promise<void> {
    if (this.state === 'closed') return Promise.resolve()
    this.closing ??= this.closeOnce()
    return this.closing
  }

  private async closeOnce(): Promise<void> {
    this.state = 'closing'
    while (this.flushScheduled || this.flushing) await this.flushDone
    try {
      // Durability 'none' never syncs per group; a clean close still leaves the log on disk.
      if (this.options.durability === 'none' && this.poisonError === undefined) await this.writer.sync()
      if (this.poisonError === undefined) await this.recordCleanEnd()
    } finally {
      try {
        this.spares.stopPreparing()
        await this.spares.settle()
        await this.writer.close()
      } finally {
        this.state = 'closed'
      }
    }
  }

  /**
   * Every frame of the last segment is durable now (the caller flushed and synced): record where it
   * ends, so the next open need not scan it. Best effort: without the record, open scans.
   */
  private async recordCleanEnd(): Promise<void> {
    const last = this.segments[this.segments.length - 1]
    if (last === undefined || last.endOffset === undefined || last.lastLsn === undefined) return
    const record = { seq: last.seq, firstLsn: last.firstLsn, salt: last.salt, endOffset: last.endOffset, lastLsn: last.lastLsn }
    // The record makes the next open trust this end without scanning: it must be durable first.
    const confirmed = await this.writer.confirmRecoveredTail().then(
      () => true,
      () => false,
    )
    if (confirmed) await writeCleanEnd(this.vfs, this.dir, record).catch(() => undefined)
  }

  /**
   * Encodes the record into `group`. A group never spans two segments: when the record would not
   * fit the segment the group is bound for, the whole group moves to a new segment.
   */
  private addToGroup(group: CommitGroup, payload: Uint8Array, lsn: number): void {
    const size = frameSize(payload.length)
    if (group.count === 0) {
      const fits = this.tailOffset + size <= this.tailCapacity
      if (fits) group.begin(lsn, this.tailOffset, this.tailSalt, false)
      else group.begin(lsn, SEGMENT_HEADER_SIZE, newSalt(), true)
    } else if (!group.startsSegment && group.offset + group.length + size > this.tailCapacity) {
      group.moveToNewSegment(SEGMENT_HEADER_SIZE, newSalt())
    }
    group.add(payload, lsn)
  }

  /**
   * Writes the gathered groups one after another until none is left. A failed write or sync
   * poisons the log (invariant 7): retrying an fdatasync after a failure can report success for
   * data the kernel already dropped, so nothing is ever acknowledged after one.
   */
  private async flushGroups(): Promise<void> {
    while (this.gathering.count > 0) {
      const group = this.gathering
      this.gathering = this.standby
      this.advanceTail(group)
      if (this.poisonError !== undefined) {
        group.reject(this.poisonError)
      } else {
        try {
          // No await when the write was made inline: the group settles in this same turn.
          const writing = this.writeGroup(group)
          if (writing !== undefined) await writing
          this.durableLsn = group.lastLsn
          group.resolve()
        } catch (error) {
          this.poisonError = new TinyDbError('POISONED', `the log refuses appends after a failed write or sync (${describe(error)}); reopen it`, {
            cause: error,
          })
          group.reject(error)
        }
      }
      group.reset()
      this.standby = group
    }
    this.flushing = false
  }

  /**
   * One group's write, inline or on the thread pool as the policy says; either way it returns (or
   * throws) only once the write is done, so groups stay one at a time, in order. The first group of
   * a segment always takes the asynchronous path: starting a segment is several I/O steps.
   *
   * A writer awaiting one inline commit after another would never let the event loop turn (every
   * step is a microtask), so once `INLINE_STRETCH_MS` has passed since the loop last turned, the
   * next inline commit first lets it run one full iteration and times it: the policy moves to the
   * thread pool when others were waiting.
   */
  private writeGroup(group: CommitGroup): Promise<void> | undefined {
    if (this.inlineSinceTurn && this.wantsInline(group) && this.commitWrites.turnDue(this.options.clock())) {
      return this.nextLoopIteration().then(() => this.writeGroupNow(group))
    }
    return this.writeGroupNow(group)
  }

  private writeGroupNow(group: CommitGroup): Promise<void> | undefined {
    const started = this.options.clock()
    if (this.wantsInline(group)) {
      this.writer.writeSync(group)
      // A writer that lets the loop turn by itself between commits (a request handler, a loop with
      // its own yields) shares the thread already: only back-to-back commits are made to yield.
      this.inlineSinceTurn = true
      if (!this.turnWatched) {
        this.turnWatched = true
        setImmediate(this.loopTurned)
      }
      const ms = this.options.clock() - started
      this.commitWrites.observe(group.length, ms)
      this.groupCounter.written(group.count, group.length, ms, true)
      return undefined
    }
    return this.writer.write(group).then(() => {
      const now = this.options.clock()
      // Its completion came back through the event loop (on a real disk): the loop has turned.
      this.inlineSinceTurn = false
      this.commitWrites.loopTurned(now)
      if (!group.startsSegment) this.commitWrites.observe(group.length, now - started)
      this.groupCounter.written(group.count, group.length, now - started, false)
    })
  }

  private wantsInline(group: CommitGroup): boolean {
    return this.commitWrites.inline(group.length, this.options.clock()) && this.writer.canWriteSync(group)
  }

  /**
   * Resolves after the event loop has gone once all the way round, reporting how long that took.
   * Two `setImmediate`s: the first runs in this iteration's check phase (possibly before other
   * callbacks queued there), the second a whole iteration later, after everything that was waiting.
   */
  private nextLoopIteration(): Promise<void> {
    return new Promise<void>((resolve) => {
      setImmediate(() => {
        const from = this.options.clock()
        setImmediate(() => {
          const now = this.options.clock()
          this.inlineSinceTurn = false
          this.commitWrites.observeLoopIteration(now - from, now)
          resolve()
        })
      })
    })
  }

  private advanceTail(group: CommitGroup): void {
    if (group.startsSegment) {
      this.tailSalt = group.salt
      group.segmentSize = this.segmentSizes.take()
      // A group larger than its segment gets a segment of its own size.
      this.tailCapacity = Math.max(group.segmentSize, SEGMENT_HEADER_SIZE + group.length)
      this.tailOffset = SEGMENT_HEADER_SIZE + group.length
    } else {
      this.tailOffset += group.length
    }
  }
}

/** Settled once: `then` on it queues a plain microtask. */
const RESOLVED = Promise.resolve()

function newSalt(): number {
  return randomInt(0, 2 ** 32)
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error)
}
