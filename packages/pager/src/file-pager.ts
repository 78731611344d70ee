import { TinyDbError, corruption } from '@tinydb/vfs'
import type { DurableStep, QueuedDurable, Vfs, VfsFile } from '@tinydb/vfs'
import { checkpointSteps } from './checkpoint-writer.js'
import type { CheckpointPage } from './checkpoint-writer.js'
import { openDataFile } from './data-file.js'
import type { DataFile } from './data-file.js'
import { FreePages } from './freelist.js'
import { freeListPages, maxChainLength, planFreeList } from './freelist-plan.js'
import type { MetaRecord } from './meta-format.js'
import { PageIdMap } from './page-id-map.js'
import { PageCache, ResidentPage } from './page-cache.js'
import type { PageChecksum } from './page-checksum.js'
import { PageMemory } from './page-memory.js'
import { Retentions } from './retention.js'
import {
  DEFAULT_PAGE_SIZE,
  FIRST_DATA_PAGE_ID,
  MAX_PAGE_COUNT,
  PAGE_HEADER_SIZE,
  checksumMatches,
  encodePageHeader,
  isUserPageType,
  isValidPageSize,
  pageTypeName,
  verifyPage,
} from './page-format.js'
import type {
  CheckpointTarget,
  Page,
  PageAccounting,
  PageRetention,
  Pager,
  PagerMeta,
  PagerStats,
  PendingCheckpoint,
} from './pager.js'

export interface FilePagerOptions {
  /** Page size of a new file: a power of two in [512, 65536], default 4096. An existing file keeps its own. */
  readonly pageSize?: number
  /**
   * Bytes of pages kept in memory, default 64 MiB: writable and sealed (pinned) pages and clean ones
   * together. Clean pages get what pinned ones leave; pinned pages beyond it are still kept (they
   * cannot be dropped before a checkpoint writes them), so the caller bounds them by checkpointing.
   */
  readonly cacheSize?: number
  /**
   * Expensive self-checks: re-verify the checksum of a cached clean page on every read (catches a
   * caller writing through a read-only page), and assert at every commit that no page is written
   * where the durable checkpoint may reference it (invariant 6). Default: `TINYDB_VERIFY=1`.
   */
  readonly verify?: boolean
  /**
   * Bytes of pages a checkpoint writes before it fdatasyncs them and goes on; 0 syncs its pages
   * once, after all of them. Default 256 KiB. Durability is the same either way: nothing references
   * the pages before the meta is written, after the last sync. What it bounds is how much of a
   * checkpoint the disk has queued at a time, and so how long a log commit on the same disk waits
   * behind it (PostgreSQL's `checkpoint_flush_after`, whose Linux default is the same; PostgreSQL
   * starts each slice's writeback with `sync_file_range`, which Node lacks, so each slice here is a
   * full fdatasync and pays a device cache flush). 0 suits a writer alone on its disk; it saves a
   * device flush per 256 KiB (~0.1–0.5 ms on the bench VM, milliseconds on some SSDs).
   */
  readonly checkpointFlushAfter?: number
}

const DEFAULT_CACHE_SIZE = 64 * 1024 * 1024

/**
 * With one fdatasync after all of a checkpoint's pages, the ~9 MB checkpoints of 64 writers'
 * random puts held a tenth of their log commits past 2 ms (p99 4 ms, against 0.3 ms with no
 * checkpoint running); synced every 256 KiB, 1–3 %. apps/bench scale's checkpoint latency, six
 * alternating runs each: the puts' p99 4.3–5.0 → 2.1–3.3 ms. 64 and 128 KiB did worse (more device
 * flushes), 512 KiB about the same, 1 MiB worse.
 */
export const DEFAULT_CHECKPOINT_FLUSH_AFTER = 256 * 1024

/** Pages a checkpoint stamps between two turns of the event loop: ~0.6 ms of this thread (see `stampThenQueue`). */
const STAMP_SLICE_PAGES = 256

/**
 * How long after its commit was asked for a checkpoint may still be stamped a slice at a time:
 * then the rest is stamped at once. Slices suit a thread that turns often (many small commits); a
 * thread busy for long stretches between turns (a bulk load's large batches: a slice per batch)
 * would otherwise start the writes late, while modified pages, and memory, pile up (1 M-key load of
 * apps/bench scale, each checkpoint sliced: 62k → 39k puts/s without this).
 */
const STAMP_SLICES_FOR_MS = 10

/**
 * A sealed checkpoint that is not durable yet. Mutable only while it may still be folded into a
 * later seal (see `FilePager.beginCheckpoint`): until its writes have started.
 */
interface SealedCheckpoint {
  meta: MetaRecord
  pages: ResidentPage[]
  /** The free-list chain of this checkpoint, and what it lists (ascending). */
  freeListPageIds: readonly number[]
  freePageIds: readonly number[]
  /** Freed before the seal while an earlier checkpoint referenced them: reusable once this one is durable. */
  readonly releasedAtCommit: Set<number>
  /** The chain of the checkpoint this one follows: reusable once this one is durable. */
  readonly releasedChain: readonly number[]
  /**
   * Its commit was asked for: its pages are being stamped (`stampCursor`), or its writes are queued
   * (`writes`).
   */
  requested: boolean
  /** Entries of `pages` before this one are stamped for this checkpoint (or need no stamp). */
  stampCursor: number
  /** Its sequence on the file's durable queue, once its commit was asked for and its pages stamped. */
  writes: QueuedDurable | undefined
  /** The writes include confirming the meta chosen at open (see `unconfirmedMeta`). */
  confirmsOpenMeta: boolean
  /** Pages its writes hold (for `stats().pageWrites`). */
  pagesWritten: number
  readonly durable: Promise<PagerMeta>
  readonly settle: { resolve(meta: PagerMeta): void; reject(error: unknown): void }
}
/**
 * The Pager over one data file (see FORMAT.md). Copy-on-write against the last checkpoint: pages
 * allocated since the last seal live only in memory until a checkpoint writes them, and a
 * checkpoint writes only at locations no durable meta references, then switches the meta.
 */
export class FilePager implements Pager {
  readonly pageSize: number
  readonly bodySize: number
  private readonly file: VfsFile
  /** The file's format version, fixed at its creation: every checkpoint writes it (see page-checksum.ts). */
  readonly formatVersion: number
  /** How the file checksums pages other than the metas, by `formatVersion` and `pageSize`. */
  private readonly checksum: PageChecksum
  private readonly verify: boolean
  private readonly cache: PageCache
  private readonly freePages: FreePages
  /** Allocated since the last seal: the pages the next checkpoint writes. Writable unless frozen by a retention. */
  private readonly writable = new PageIdMap<ResidentPage>()
  /**
   * Pages that were never written to the file, freed while a retention could read them: the only
   * copy a retained reader has, so they stay here until the retention is released.
   */
  private readonly retainedImages = new Map<number, ResidentPage>()
  private readonly retentions = new Retentions((pageId) => {
    this.retainedImages.delete(pageId)
    this.freePages.add(pageId)
  })
  private pendingFree = new Set<number>()
  /** Free-list pages of the durable checkpoint and of the sealed ones: the pager's own pages. */
  private readonly freeListPages = new Set<number>()
  private durableFreeListPageIds: readonly number[]
  /** Pages free in the durable checkpoint; kept only when `verify`, to assert invariant 6. */
  private durableFree: Set<number> | undefined
  private durable: MetaRecord
  private publicMeta: PagerMeta
  private pageCount: number
  /** Sealed checkpoints not yet durable, in seal order: they commit in this order, each after the one before. */
  private readonly sealedQueue: SealedCheckpoint[] = []
  private readonly memory: PageMemory
  private poison: TinyDbError | undefined
  private closed = false
  /** The meta chosen at open, until the first commit of this open has made it durable (see data-file.ts). */
  private unconfirmedMeta: { readonly slot: number; readonly image: Uint8Array } | undefined
  private cacheHits = 0
  private cacheMisses = 0
  private pageReads = 0
  private pageWrites = 0
  /** This open created the data file (it did not exist). */
  readonly created: boolean

  /** Opens (or creates) the data file at `path` at its newest valid checkpoint. */
  static async open(vfs: Vfs, path: string, options: FilePagerOptions = {}): Promise<FilePager> {
    const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE
    if (!isValidPageSize(pageSize)) throw new TinyDbError('INVALID_ARGUMENT', `pageSize must be a power of two in [512, 65536], got ${pageSize}`)
    const cacheSize = options.cacheSize ?? DEFAULT_CACHE_SIZE
    if (!(cacheSize >= 0 && cacheSize <= Number.MAX_SAFE_INTEGER)) throw new TinyDbError('INVALID_ARGUMENT', `cacheSize must be >= 0 bytes, got ${cacheSize}`)
    const flushAfter = options.checkpointFlushAfter ?? DEFAULT_CHECKPOINT_FLUSH_AFTER
    if (!Number.isSafeInteger(flushAfter) || flushAfter < 0) {
      throw new TinyDbError('INVALID_ARGUMENT', `checkpointFlushAfter must be an integer >= 0 bytes, got ${flushAfter}`)
    }
    const dataFile = await openDataFile(vfs, path, pageSize)
    const verify = options.verify ?? process.env['TINYDB_VERIFY'] === '1'
    return new FilePager(dataFile, cacheSize, verify, flushAfter)
  }

  private constructor(dataFile: DataFile, cacheSize: number, verify: boolean, private readonly flushAfter: number) {
    const { file, pageSize, meta, freeListPageIds, freeList } = dataFile
    this.file = file
    this.formatVersion = dataFile.formatVersion
    this.checksum = dataFile.checksum
    this.pageSize = pageSize
    this.bodySize = pageSize - PAGE_HEADER_SIZE
    this.verify = verify
    this.created = dataFile.created
    this.cache = new PageCache(Math.floor(cacheSize / pageSize))
    // The free list as read, not indexed: open does no work per free page (see FreePages).
    this.freePages = new FreePages([], freeList)
    this.durableFreeListPageIds = freeListPageIds
    for (const id of freeListPageIds) this.freeListPages.add(id)
    this.durableFree = verify ? new Set(freeList.ids) : undefined
    this.durable = meta
    this.publicMeta = toPagerMeta(meta)
    this.pageCount = meta.pageCount
    this.memory = new PageMemory(pageSize)
    this.unconfirmedMeta = { slot: dataFile.metaSlot, image: dataFile.metaImage }
  }

  get meta(): PagerMeta {
    return this.publicMeta
  }

  read(pageId: number): Page {
    if (this.closed) throw closedError()
    const entry = this.cache.get(pageId) ?? this.retainedImages.get(pageId)
    if (entry === undefined) return this.readFromFile(pageId)
    this.cacheHits++
    if (this.verify && entry.residency === 'clean' && !checksumMatches(entry.image, this.checksum)) {
      throw corruption(this.site(pageId), 'the cached page changed in memory (written through a read-only page?)')
    }
    return entry
  }

  allocate(type: number): Page {
    this.assertOpen()
    if (!isUserPageType(type)) throw new TinyDbError('INVALID_ARGUMENT', `page type must be an integer in [16, 255], got ${type}`)
    const id = this.freePages.takeLowest() ?? this.growPageCount(1)
    const recycled = this.cache.takeRecycled()
    const entry = recycled === undefined ? new ResidentPage(this.memory.allocate(), id, type, 'writable') : recycled.reuse(id, type, 'writable')
    if (recycled !== undefined) this.memory.clear(recycled.image)
    entry.generation = this.retentions.currentGeneration
    this.cache.addPinned(entry)
    this.writable.set(id, entry)
    return entry
  }

  isWritable(pageId: number): boolean {
    const entry = this.writable.get(pageId)
    return entry !== undefined && entry.generation >= this.retentions.frozenBelow
  }

  retain(): PageRetention {
    this.assertOpen()
    return this.retentions.retain()
  }

  free(pageId: number): void {
    this.assertOpen()
    this.assertPageId(pageId)
    const entry = this.writable.get(pageId)
    if (entry !== undefined) {
      // Never written, referenced by no checkpoint: reusable at once, unless frozen, when a retained
      // reader may still read it (then this memory is its only copy).
      this.writable.delete(pageId)
      this.cache.delete(pageId)
      if (entry.generation < this.retentions.frozenBelow && this.retentions.holdIfRetained(pageId)) {
        this.retainedImages.set(pageId, entry)
        this.retentions.deferReuse(pageId)
      } else {
        this.freePages.add(pageId)
        this.cache.recycle(entry)
      }
      return
    }
    const state = this.nonLiveState(pageId)
    if (state !== undefined) throw new TinyDbError('INVALID_ARGUMENT', `cannot free page ${pageId}: it is ${state}`)
    // The durable (or sealed) checkpoint may still reference it: reusable only once a checkpoint
    // sealed after this call is durable (and no retention holds it). It stays readable until then.
    this.pendingFree.add(pageId)
    this.retentions.holdIfRetained(pageId)
    // A clean copy is the file's bytes, which stay intact until the page is reused, so a retained
    // reader that still wants it reads it there. Kept, it would hold its place in the cache until
    // that checkpoint is durable: a writer that copies on write frees one page for every page it
    // dirties, so with a large cache up to half of it held dead pages and evicted live ones (a
    // 10 M-key load with a cache larger than its tree: 2.1 % of the page reads of the gets after it
    // went to the file, and the process grew 1.3 GB past its cache).
    if (this.cache.peek(pageId)?.residency === 'clean') this.cache.discard(pageId)
  }

  /**
   * Seals the current state. When the newest sealed checkpoint's writes have not started (its
   * sequence is still queued behind an earlier checkpoint's, or its commit was not asked for), it is
   * folded into this seal instead of queueing another: it grows to hold everything up to now, under
   * its own id, and both pending handles resolve when it is durable. So a writer that seals often
   * (the engine seals whenever writes stop) queues at most one checkpoint behind the one being
   * written, and a page modified many times in between is written once.
   */
  beginCheckpoint(target: CheckpointTarget): PendingCheckpoint {
    this.assertWritable()
    const { rootPageId, checkpointLsn } = target
    if (!Number.isSafeInteger(checkpointLsn) || checkpointLsn < 0) {
      throw new TinyDbError('INVALID_ARGUMENT', `checkpointLsn must be a non-negative safe integer, got ${checkpointLsn}`)
    }
    if (rootPageId !== 0) {
      this.assertPageId(rootPageId)
      const state = this.pendingFree.has(rootPageId) ? 'freed' : this.nonLiveState(rootPageId)
      if (state !== undefined) throw new TinyDbError('INVALID_ARGUMENT', `root page ${rootPageId} is ${state}`)
    }
    const newest = this.sealedQueue.at(-1)
    const folding = newest !== undefined && (newest.writes === undefined || newest.writes.cancel())
    const sealed = folding ? this.fold(newest, target) : this.seal(target)
    return { checkpointId: sealed.meta.checkpointId, commit: (options) => this.requestCommit(sealed, options?.incremental === true) }
  }

  /** Appends a new sealed checkpoint to the queue. */
  private seal(target: CheckpointTarget): SealedCheckpoint {
    const previous = this.sealedQueue.at(-1)
    const releasedChain = previous?.freeListPageIds ?? this.durableFreeListPageIds
    const releasedAtCommit = this.pendingFree
    const checkpointId = (previous?.meta.checkpointId ?? this.durable.checkpointId) + 1
    const plan = this.planSeal(releasedAtCommit, releasedChain, this.sealedQueue)
    this.pendingFree = new Set()
    const pages = this.sealWritable(checkpointId, [])
    let settle: SealedCheckpoint['settle'] = { resolve: () => undefined, reject: () => undefined }
    const durable = new Promise<PagerMeta>((resolve, reject) => (settle = { resolve, reject }))
    // Nobody may be waiting on it yet; a failure is also reported to whoever asks for the commit.
    durable.catch(() => undefined)
    const sealed: SealedCheckpoint = {
      meta: this.metaFor(checkpointId, target, plan),
      pages,
      freeListPageIds: plan.freeListPageIds,
      freePageIds: plan.freePageIds,
      releasedAtCommit,
      releasedChain,
      requested: false,
      stampCursor: 0,
      writes: undefined,
      confirmsOpenMeta: false,
      pagesWritten: 0,
      durable,
      settle,
    }
    this.sealedQueue.push(sealed)
    return sealed
  }

  /**
   * Makes `sealed` (the newest, whose writes were withdrawn before they started) hold the current
   * state too. Its pages freed since its seal were never written and no durable or sealed
   * checkpoint references them: reusable at once, like a writable page freed. What was freed since
   * that an earlier checkpoint references joins what it releases at commit. Its chain is planned
   * again, so the old one goes back to the free pages.
   */
  private fold(sealed: SealedCheckpoint, target: CheckpointTarget): SealedCheckpoint {
    const checkpointId = sealed.meta.checkpointId
    for (const id of this.pendingFree) {
      const entry = this.cache.peek(id)
      if (entry === undefined || entry.residency !== 'sealed' || entry.sealedIn !== checkpointId) {
        sealed.releasedAtCommit.add(id)
        continue
      }
      this.cache.delete(id)
      if (this.retentions.deferReuse(id)) {
        this.retainedImages.set(id, entry)
      } else {
        this.freePages.add(id)
        this.cache.recycle(entry)
      }
    }
    this.pendingFree = new Set()
    for (const id of sealed.freeListPageIds) {
      this.freeListPages.delete(id)
      this.freePages.add(id)
    }
    const kept = sealed.pages.filter((entry) => this.cache.peek(entry.id) === entry)
    const earlier = this.sealedQueue.slice(0, -1)
    const plan = this.planSeal(sealed.releasedAtCommit, sealed.releasedChain, earlier)
    sealed.pages = this.sealWritable(checkpointId, kept)
    sealed.stampCursor = 0
    sealed.meta = this.metaFor(checkpointId, target, plan)
    sealed.freeListPageIds = plan.freeListPageIds
    sealed.freePageIds = plan.freePageIds
    // Its commit was asked for, and withdrawn only to be folded: queue it again, grown. (One still
    // being stamped a slice at a time goes on with its grown list.)
    if (sealed.writes !== undefined) this.queueWrites(sealed)
    return sealed
  }

  /** Plans the chain and free list of a seal following `earlier` (sealed, not durable) and then the current state. */
  private planSeal(releasedAtCommit: ReadonlySet<number>, previousChain: readonly number[], earlier: readonly SealedCheckpoint[]) {
    const releasedEarlier: number[] = []
    for (const before of earlier) releasedEarlier.push(...before.releasedAtCommit, ...before.releasedChain)
    const retained = this.retentions.unreferencedPages()
    const entries = this.freePages.size + releasedAtCommit.size + retained.length + previousChain.length + releasedEarlier.length
    if (this.pageCount + maxChainLength(this.pageSize, entries) > MAX_PAGE_COUNT) throw tooLarge()
    const plan = planFreeList({
      pageSize: this.pageSize,
      free: this.freePages,
      releasedAtCommit,
      retained,
      previousChain,
      releasedEarlier,
      grow: () => this.growPageCount(1),
    })
    for (const id of plan.freeListPageIds) this.freeListPages.add(id)
    return plan
  }

  /** The seal itself: every writable page becomes read-only, part of checkpoint `checkpointId`. */
  private sealWritable(checkpointId: number, pages: ResidentPage[]): ResidentPage[] {
    this.writable.forEachValue((entry) => {
      entry.residency = 'sealed'
      entry.sealedIn = checkpointId
      pages.push(entry)
    })
    this.writable.clear()
    return pages
  }

  private metaFor(checkpointId: number, target: CheckpointTarget, plan: { freeListPageIds: readonly number[]; freePageIds: readonly number[] }): MetaRecord {
    return {
      checkpointId,
      checkpointLsn: target.checkpointLsn,
      rootPageId: target.rootPageId,
      pageCount: this.pageCount,
      freeListPageId: plan.freeListPageIds[0] ?? 0,
      freePageCount: plan.freePageIds.length,
    }
  }

  accounting(): PageAccounting {
    const pendingFree = [...this.pendingFree]
    for (const sealed of this.sealedQueue) pendingFree.push(...sealed.releasedAtCommit)
    return {
      pageCount: this.pageCount,
      internal: [0, 1, ...[...this.freeListPages].sort(ascending)],
      free: this.freePages.toArray().sort(ascending),
      pendingFree: pendingFree.sort(ascending),
      retained: [...this.retentions.unreferencedPages()].sort(ascending),
    }
  }

  get dirtyPages(): number {
    return this.cache.pinnedPages
  }

  get unsealedPages(): number {
    return this.writable.size
  }

  stats(): PagerStats {
    let pendingFreePages = this.pendingFree.size
    for (const sealed of this.sealedQueue) pendingFreePages += sealed.releasedAtCommit.size
    return {
      pageSize: this.pageSize,
      pageCount: this.pageCount,
      freePages: this.freePages.size,
      pendingFreePages,
      retainedPages: this.retentions.heldCount,
      liveRetentions: this.retentions.liveCount,
      dirtyPages: this.dirtyPages,
      cachedPages: this.cache.cleanPages,
      cacheHits: this.cacheHits,
      cacheMisses: this.cacheMisses,
      pageReads: this.pageReads,
      pageWrites: this.pageWrites,
    }
  }

  /**
   * Closes the file without checkpointing; waits for the commits asked for to settle first (their
   * `commit` promises resolve as usual, without the in-memory bookkeeping a closed pager has no
   * use for).
   */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    // What is still being stamped is queued now: the commits asked for are what close waits for.
    for (const sealed of this.sealedQueue) {
      if (sealed.requested && sealed.writes === undefined && this.poison === undefined) this.queueOrFail(sealed)
    }
    // Checkpoints already durable complete now, without waiting for their report (a message from
    // the Vfs's worker, behind whatever the event loop runs first: 1–4 ms of a close).
    for (const sealed of this.sealedQueue) {
      if (sealed.writes?.isDurable() !== true) break
      this.completeCommit(sealed, sealed.pagesWritten)
    }
    await Promise.allSettled(this.sealedQueue.filter((sealed) => sealed.writes !== undefined).map((sealed) => sealed.durable))
    this.cache.clear()
    this.retentions.clear()
    this.retainedImages.clear()
    await this.file.close()
  }

  private requestCommit(sealed: SealedCheckpoint, incremental: boolean): Promise<PagerMeta> {
    if (this.closed) return Promise.reject(closedError())
    if (sealed.writes === undefined && this.sealedQueue.includes(sealed)) {
      const stamping = sealed.requested
      sealed.requested = true
      if (!incremental) this.queueOrFail(sealed) // stamps what is left, now
      else if (!stamping) this.stampThenQueue(sealed)
    }
    return sealed.durable
  }

  /**
   * Stamps the sealed pages (header and checksum) `STAMP_SLICE_PAGES` at a time, letting the event
   * loop turn between slices, then queues the writes (`CommitOptions.incremental`). Stamping is
   * most of what a checkpoint costs this thread (~2.4 µs a page: the checksum of a page not touched
   * in a while): at once, the 2,200 pages of a checkpoint sealed under 64 writers held every one of
   * their commits ~5 ms (apps/bench scale, checkpoint latency). Sealed pages are read-only, so
   * stamping them early changes nothing anyone reads; an entry that stopped being this
   * checkpoint's (recycled after a fold) is skipped, and a fold starts the slices over its grown
   * list. Pages left unstamped when the writes are laid out are stamped then (`checkpointSteps`).
   */
  private stampThenQueue(sealed: SealedCheckpoint): void {
    const slicesEnd = performance.now() + STAMP_SLICES_FOR_MS
    const slice = (): void => {
      // Queued already (by close), failed, or done with.
      if (sealed.writes !== undefined || this.poison !== undefined || !this.sealedQueue.includes(sealed)) return
      if (performance.now() < slicesEnd && this.stampSome(sealed, STAMP_SLICE_PAGES)) setImmediate(slice)
      else this.queueOrFail(sealed) // stamps what is left
    }
    slice()
  }

  private queueOrFail(sealed: SealedCheckpoint): void {
    try {
      this.queueWrites(sealed)
    } catch (error) {
      this.fail(error)
    }
  }

  /** Stamps up to `budget` of `sealed`'s pages from its cursor; true when some are left. */
  private stampSome(sealed: SealedCheckpoint, budget: number): boolean {
    const checkpointId = sealed.meta.checkpointId
    const pages = sealed.pages
    let at = sealed.stampCursor
    for (let stamped = 0; at < pages.length && stamped < budget; at++) {
      const entry = pages[at]!
      if (entry.residency !== 'sealed' || entry.sealedIn !== checkpointId || entry.stampedFor === checkpointId) continue
      encodePageHeader(entry.image, { pageId: entry.id, type: entry.type, writtenBy: checkpointId }, this.checksum)
      entry.stampedFor = checkpointId
      stamped++
    }
    sealed.stampCursor = at
    return at < pages.length
  }

  /**
   * Lays `sealed` out (checksums included) and queues its writes on the file, behind those of every
   * checkpoint sealed before it: the Vfs runs them in order, so this one's pages reach the disk only
   * once the one before is durable, which is what lets it reuse what that one released.
   */
  private queueWrites(sealed: SealedCheckpoint): void {
    const pages = this.checkpointPages(sealed)
    if (this.durableFree !== undefined) this.assertCopyOnWrite(sealed, pages)
    const steps: DurableStep[] = []
    // Before any page write: the pages of the first checkpoint may reuse pages the OLDER meta
    // references, so the meta they are built on must be durable first (fsyncgate, see
    // data-file.ts). Identical bytes, so even a torn rewrite changes nothing that was durable.
    const unconfirmed = this.unconfirmedMeta
    sealed.confirmsOpenMeta = unconfirmed !== undefined && this.sealedQueue[0] === sealed
    if (sealed.confirmsOpenMeta) steps.push({ writes: [{ position: unconfirmed!.slot * this.pageSize, buffers: [unconfirmed!.image] }] })
    steps.push(
      ...checkpointSteps({
        pageSize: this.pageSize,
        pages,
        meta: sealed.meta,
        formatVersion: this.formatVersion,
        checksum: this.checksum,
        flushAfter: this.flushAfter,
      }),
    )
    const checkpointId = sealed.meta.checkpointId
    for (const entry of sealed.pages) entry.stampedFor = checkpointId
    const writes = this.file.queueDurable(steps)
    sealed.writes = writes
    sealed.pagesWritten = pages.length
    // The callback names nothing of this call but `sealed`: it lives until the checkpoint is
    // durable, and a closure over `pages` kept thousands of layout objects alive (and promoted) as long.
    writes.done.then(
      (outcome) => {
        // Already completed by `close` when it saw the writes durable first.
        if (outcome === 'durable' && this.sealedQueue.includes(sealed)) this.completeCommit(sealed, sealed.pagesWritten)
      },
      (error: unknown) => this.fail(error),
    )
  }

  /** The checkpoint at the head of the queue is durable: what the one before referenced may now be reused. */
  private completeCommit(sealed: SealedCheckpoint, pagesWritten: number): void {
    if (this.sealedQueue[0] !== sealed) throw new Error(`checkpoint ${sealed.meta.checkpointId} became durable out of order`)
    this.sealedQueue.shift()
    if (sealed.confirmsOpenMeta) this.unconfirmedMeta = undefined
    this.durable = sealed.meta
    this.publicMeta = toPagerMeta(sealed.meta)
    this.pageWrites += pagesWritten
    if (this.closed) {
      // Nothing reads or allocates any more: the cache and free-page bookkeeping below (thousands of
      // pages for a large checkpoint, milliseconds of cold code) would be thrown away by `close`.
      sealed.settle.resolve(this.publicMeta)
      return
    }
    for (const id of sealed.releasedChain) {
      this.freeListPages.delete(id)
      this.freePages.add(id)
    }
    this.durableFreeListPageIds = sealed.freeListPageIds
    for (const id of sealed.releasedAtCommit) {
      this.cache.discard(id)
      // Still intact in the file, so a retained reader can read it there until it is released.
      if (!this.retentions.deferReuse(id)) this.freePages.add(id)
    }
    const checkpointId = sealed.meta.checkpointId
    const nowClean: ResidentPage[] = []
    for (const entry of sealed.pages) {
      if (entry.residency !== 'sealed' || entry.sealedIn !== checkpointId) continue
      // One freed since is dead already (see `free`): the file holds it for whoever still reads it.
      if (this.isPendingFree(entry.id)) this.cache.discard(entry.id)
      else nowClean.push(entry)
    }
    this.cache.markAllClean(nowClean)
    if (this.durableFree !== undefined) this.durableFree = new Set(sealed.freePageIds)
    sealed.settle.resolve(this.publicMeta)
  }

  /**
   * Freed, and not yet given back by a durable checkpoint: the current structure no longer
   * references it, but the durable or a sealed checkpoint may (a completing checkpoint is off the
   * queue, so for its pages this means freed after it was sealed).
   */
  private isPendingFree(pageId: number): boolean {
    return this.pendingFree.has(pageId) || this.sealedQueue.some((sealed) => sealed.releasedAtCommit.has(pageId))
  }

  /**
   * fsyncgate: after a failed write or fdatasync the kernel may have dropped the pages; retrying
   * could "succeed" over lost data. Refuse all further checkpoints until the file is reopened. Every
   * checkpoint still queued fails with it (the file's queue refuses them too).
   */
  private fail(error: unknown): void {
    if (this.poison !== undefined) return
    this.poison = new TinyDbError(
      'POISONED',
      `${this.file.path}: checkpoint ${this.sealedQueue[0]?.meta.checkpointId ?? '?'} failed to commit; reopen to recover checkpoint ${this.durable.checkpointId}`,
      { file: this.file.path, cause: error },
    )
    // They stay queued, never to complete: their bookkeeping (pages freed before their seals) is
    // still what `accounting` must report of the state in memory.
    for (const sealed of this.sealedQueue) sealed.settle.reject(error)
  }

  /** The sealed pages and the free-list chain, ascending by id. */
  private checkpointPages(sealed: SealedCheckpoint): CheckpointPage[] {
    const checkpointId = sealed.meta.checkpointId
    const pages: CheckpointPage[] = sealed.pages.map((entry) => ({
      id: entry.id,
      type: entry.type,
      image: entry.image,
      stamped: entry.stampedFor === checkpointId,
    }))
    pages.push(...freeListPages(this.pageSize, sealed, checkpointId, this.checksum))
    return pages.sort((a, b) => a.id - b.id)
  }

  /**
   * Invariant 6, asserted: every page written is past the high-water mark of the checkpoint before
   * it (the durable one, or the sealed one it is queued behind) or free in that checkpoint.
   */
  private assertCopyOnWrite(sealed: SealedCheckpoint, pages: readonly CheckpointPage[]): void {
    const index = this.sealedQueue.indexOf(sealed)
    const before = index > 0 ? this.sealedQueue[index - 1] : undefined
    const base = before?.meta ?? this.durable
    const free = before === undefined ? this.durableFree! : new Set(before.freePageIds)
    for (const { id } of pages) {
      if (id >= base.pageCount || free.has(id)) continue
      throw new Error(`invariant 6 violated: checkpoint ${sealed.meta.checkpointId} would overwrite page ${id}, which checkpoint ${base.checkpointId} may reference`)
    }
  }

  private readFromFile(pageId: number): Page {
    this.assertPageId(pageId)
    // A page freed but not yet reusable is still intact in the file (a checkpoint references it),
    // so it reads the same whether cached or not; a free page or the pager's own page never does.
    if (this.freePages.has(pageId)) throw new TinyDbError('INVALID_ARGUMENT', `cannot read page ${pageId}: it is free`)
    if (this.freeListPages.has(pageId)) throw new TinyDbError('INVALID_ARGUMENT', `cannot read page ${pageId}: it is a free-list page of the pager`)
    this.cacheMisses++
    this.pageReads++
    // The image of an evicted page when one is waiting (readSync overwrites all of it, so no zero
    // fill): this is why a clean page's body is valid only until the next read or allocate.
    const recycled = this.cache.takeRecycled()
    const image = recycled === undefined ? this.memory.allocate() : recycled.image
    const length = this.file.readSync(image, pageId * this.pageSize)
    if (length < this.pageSize) throw corruption(this.site(pageId), 'the file ends inside the page')
    const header = verifyPage(image, pageId, this.file.path, this.checksum)
    if (!isUserPageType(header.type)) {
      throw corruption(this.site(pageId), `page type ${header.type} (${pageTypeName(header.type)}) where a user page belongs`)
    }
    // Pages a crashed later checkpoint wrote lie only at locations the durable one leaves free;
    // finding one here means a page was overwritten under a durable meta (invariant 6).
    if (((header.writtenBy - this.durable.checkpointId) | 0) > 0) {
      throw corruption(
        this.site(pageId),
        `page written by checkpoint ${header.writtenBy}, after the durable checkpoint ${this.durable.checkpointId}`,
      )
    }
    const entry = recycled === undefined ? new ResidentPage(image, pageId, header.type, 'clean') : recycled.reuse(pageId, header.type, 'clean')
    this.cache.addClean(entry)
    return entry
  }

  /** Why a page in range is not part of the current structure, or undefined when it may be. */
  private nonLiveState(pageId: number): string | undefined {
    if (this.freePages.has(pageId)) return 'free'
    if (this.isPendingFree(pageId)) return 'already freed'
    if (this.retentions.isUnreferenced(pageId)) return 'already freed (kept for a retained reader)'
    if (this.freeListPages.has(pageId)) return 'a free-list page of the pager'
    return undefined
  }

  private growPageCount(pages: number): number {
    if (this.pageCount + pages > MAX_PAGE_COUNT) throw tooLarge()
    const id = this.pageCount
    this.pageCount += pages
    return id
  }

  private assertPageId(pageId: number): void {
    if (!Number.isInteger(pageId) || pageId < FIRST_DATA_PAGE_ID || pageId >= this.pageCount) {
      throw new TinyDbError('INVALID_ARGUMENT', `page ${pageId} is outside [2, ${this.pageCount})`)
    }
  }

  /**
   * `allocate` and `free` change only memory, which reaches the file through a checkpoint, and
   * `beginCheckpoint` is what poison refuses. So they keep working on a poisoned pager: a caller in
   * the middle of a tree mutation when a commit fails (the engine applies records that became
   * durable while the checkpoint ran) must be able to finish it, or readers would see a half-done
   * mutation — a key missing, a page leaked.
   */
  private assertOpen(): void {
    if (this.closed) throw closedError()
  }

  private assertWritable(): void {
    if (this.closed) throw closedError()
    if (this.poison !== undefined) {
      throw new TinyDbError('POISONED', this.poison.message, { file: this.file.path, cause: this.poison.cause })
    }
  }

  private site(pageId: number): { file: string; pageId: number; offset: number } {
    return { file: this.file.path, pageId, offset: pageId * this.pageSize }
  }
}

function toPagerMeta(meta: MetaRecord): PagerMeta {
  return { checkpointId: meta.checkpointId, checkpointLsn: meta.checkpointLsn, rootPageId: meta.rootPageId, pageCount: meta.pageCount }
}

function closedError(): TinyDbError {
  return new TinyDbError('CLOSED', 'the pager is closed')
}

function tooLarge(): TinyDbError {
  return new TinyDbError('TOO_LARGE', `the data file would exceed ${MAX_PAGE_COUNT} pages`)
}

function ascending(a: number, b: number): number {
  return a - b
}
