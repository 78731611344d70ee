/**
 * The Pager swap point: fixed-size pages addressed by id, copy-on-write against the last checkpoint,
 * and an atomic checkpoint switch. `@tinydb/kv` is written against this interface only; an
 * implementation is correct when it passes `@tinydb/pager/conformance`.
 *
 * Page ids 0 and 1 are the two meta pages and are never handed out, so `0` can mean "no page".
 */

/** Page types 0–15 are reserved for the pager itself; upper layers use 16–255. */
export const FIRST_USER_PAGE_TYPE = 16

export interface Page {
  readonly id: number
  readonly type: number
  /**
   * The page payload (`pager.bodySize` bytes; the pager owns the header and its checksum).
   * It may be modified in place only while `pager.isWritable(id)`; for any other page it is a
   * read-only view, and writing to it corrupts the cache.
   *
   * Lifetime: this `Page` (id, type and body) describes this page only until the next `read` or
   * `allocate` call on the same pager, unless the page is writable, in which case it does so for as
   * long as it stays writable. A pager may hand the buffer of an evicted page to the next page it
   * reads or allocates, so a caller that needs a page across such a call reads it again by id (a
   * cache hit costs no allocation) or copies what it needs. Every other call (`free`,
   * `isWritable`, `beginCheckpoint`, `retain`, a commit completing) leaves the bytes in place.
   */
  readonly body: Uint8Array
}

/** What the last durable checkpoint recorded. */
export interface PagerMeta {
  /** Increments with every checkpoint; 0 for a store that never checkpointed. */
  readonly checkpointId: number
  /** Every log record with lsn <= checkpointLsn is reflected in the pages of this checkpoint. */
  readonly checkpointLsn: number
  /** Root page of the upper layer's structure, 0 for none. */
  readonly rootPageId: number
  /** Pages in the file (the high-water mark), meta pages included. */
  readonly pageCount: number
}

export interface CheckpointTarget {
  readonly rootPageId: number
  readonly checkpointLsn: number
}

export interface PendingCheckpoint {
  /**
   * The id this checkpoint commits as. Two seals with the same id: the second folded the first
   * into itself (see `Pager.beginCheckpoint`).
   */
  readonly checkpointId: number
  /**
   * Writes the sealed pages, makes them durable, then switches the meta page and makes that durable.
   * Resolves with the new meta. If it rejects, the previous checkpoint is still the durable one, and
   * the pager must not be checkpointed again (a failed fsync poisons: reopen to recover). Asking
   * again (or through the handle of a seal folded into it) returns the same outcome.
   */
  commit(options?: CommitOptions): Promise<PagerMeta>
}

export interface CommitOptions {
  /**
   * Lets the pager do the commit's work on the calling thread a slice at a time, between turns of
   * the event loop, so that other work (the commits of writers still writing) runs in between; the
   * checkpoint then reaches the disk only as the event loop turns. For a checkpoint sealed while
   * writes go on. Default false: the work is done before `commit` returns. A later request without
   * it, or `close`, finishes what is left at once. A pager may ignore it.
   */
  readonly incremental?: boolean
}

/** Where every page is, for the integrity check: with the pages reachable from the root these must
 * partition [0, pageCount) exactly. */
export interface PageAccounting {
  readonly pageCount: number
  /** Meta pages and the pager's own bookkeeping pages (e.g. free-list pages) of the durable checkpoint. */
  readonly internal: readonly number[]
  /** Reusable now. */
  readonly free: readonly number[]
  /** Freed, still referenced by the durable or a sealed checkpoint; reusable once a checkpoint sealed after the free is durable. */
  readonly pendingFree: readonly number[]
  /** Freed and referenced by no checkpoint, but kept from reuse because a live retention may read them. */
  readonly retained: readonly number[]
}

/** A frozen view's hold on the pages it can reach (see `Pager.retain`). */
export interface PageRetention {
  /** Pages freed since the retention was taken that it keeps from reuse: the cost of keeping it. */
  readonly retainedPages: number
  /** Lets the pages go; idempotent. Pages held by no other retention become reusable. */
  release(): void
}

export interface PagerStats {
  readonly pageSize: number
  readonly pageCount: number
  readonly freePages: number
  readonly pendingFreePages: number
  /** Freed pages kept from reuse by live retentions (some may also be pending free). */
  readonly retainedPages: number
  readonly liveRetentions: number
  readonly dirtyPages: number
  readonly cachedPages: number
  readonly cacheHits: number
  readonly cacheMisses: number
  readonly pageReads: number
  readonly pageWrites: number
}

export interface Pager {
  readonly pageSize: number
  /** Usable bytes per page: `pageSize` minus the page header. */
  readonly bodySize: number
  /**
   * The data file's format version (FORMAT.md, "Format versions"), which the file keeps for life.
   * The layer above lays its pages out as this version allows (`@tinydb/kv`: key heads from 3 on),
   * so that an older TinyDB can keep opening a file it created. Undefined for a pager without a
   * file format (an experimenter's): the layer above then uses its current layout.
   */
  readonly formatVersion?: number
  /** The last durable checkpoint. */
  readonly meta: PagerMeta

  /**
   * Returns the page, from the cache or the file. Synchronous: a lookup that hits the cache costs no
   * promise. Throws `CORRUPTION` (file, page id, what failed) when the checksum, the stored page id
   * or the type byte is wrong, and `INVALID_ARGUMENT` for an id outside [2, pageCount).
   * The page is valid until the next `read` or `allocate` (see `Page.body`).
   */
  read(pageId: number): Page
  /** A zero-filled writable page of `type`, reusing a free page when there is one. */
  allocate(type: number): Page
  /**
   * True when the page was allocated since the last `beginCheckpoint` and since the newest live
   * `retain()`: no durable or sealed checkpoint and no retained reader references it, so it may be
   * modified in place. Any other page must be copied to a fresh page and
   * the copy modified instead (invariant 6: the data file is never overwritten under a durable meta).
   */
  isWritable(pageId: number): boolean
  /**
   * The current structure no longer references the page. A page allocated since the last seal is
   * reusable at once; any other page becomes reusable only once a checkpoint sealed after this call is
   * durable, because the durable meta may still reference it. Either waits, in addition, for the
   * release of every live retention (`retain`) that may read it.
   */
  free(pageId: number): void
  /**
   * Seals the current state as the next checkpoint, synchronously: from now on every page allocated
   * before this call is read-only (`isWritable` false). It may be called while earlier checkpoints
   * are pending: they commit in seal order, each after the one before is durable. A pager may fold
   * a pending checkpoint whose writes have not started into this one (it then holds everything up
   * to now); the folded one's `commit` resolves when this one is durable, with this one's meta.
   */
  beginCheckpoint(target: CheckpointTarget): PendingCheckpoint
  /**
   * Freezes the current state for a reader (a snapshot): until `release()`, every page allocated
   * before this call is read-only (`isWritable` false), and every page freed after it stays
   * readable and is not reused. So a reader holding the current root can keep reading exactly
   * today's pages while the structure is modified and checkpointed around it. Cost: the writer
   * copies pages it would have modified in place, and the file grows by the pages retentions hold.
   * Retentions do not survive a close or a crash (nothing on disk records them).
   */
  retain(): PageRetention
  accounting(): PageAccounting
  /**
   * Writable and sealed pages held in memory: what the next checkpoints must write (`stats().dirtyPages`).
   * A plain read, for callers that check it after every write.
   */
  readonly dirtyPages: number
  /** Pages allocated since the last seal: what the next `beginCheckpoint` would add. A plain read. */
  readonly unsealedPages: number
  stats(): PagerStats
  /** Closes the pager; it does not checkpoint (the caller decides). */
  close(): Promise<void>
}
