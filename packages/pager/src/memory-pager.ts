import { TinyDbError } from '@tinydb/vfs'
import { FreePages } from './freelist.js'
import { isUserPageType, isValidPageSize } from './page-format.js'
import { FORMAT_VERSION, pageChecksumFor } from './page-checksum.js'
import { Retentions } from './retention.js'
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

/** Same usable size as the file pager's pages, so a tree has the same shape on either pager. */
const MEMORY_PAGE_HEADER_SIZE = 16
const FIRST_DATA_PAGE_ID = 2

interface MemoryPage extends Page {
  readonly body: Uint8Array
}

/**
 * What survives a "restart" of a MemoryPager: the last committed checkpoint. Pass the same storage to
 * a new MemoryPager to simulate reopening (only checkpointed state comes back, as with a file).
 */
export class MemoryPageStorage {
  meta: PagerMeta = { checkpointId: 0, checkpointLsn: 0, rootPageId: 0, pageCount: FIRST_DATA_PAGE_ID }
  pages = new Map<number, MemoryPage>()
  free: number[] = []
  /** Like a data file's, the storage's format version is fixed when it is made (see `Pager.formatVersion`). */
  constructor(
    readonly pageSize: number,
    readonly formatVersion: number = FORMAT_VERSION,
  ) {}
}

export interface MemoryPagerOptions {
  readonly pageSize?: number
  /** The format version of new storage (default: the current one); a given `storage` keeps its own. */
  readonly formatVersion?: number
  readonly storage?: MemoryPageStorage
}

interface SealedState {
  readonly meta: PagerMeta
  readonly pages: ReadonlyMap<number, MemoryPage>
  readonly free: readonly number[]
  /** Freed before the seal, still referenced by the durable checkpoint. */
  readonly releasedAtCommit: ReadonlySet<number>
  /** Pages allocated since the previous seal: what a file pager would write. */
  readonly newPages: number
  commit?: Promise<PagerMeta>
}

/** The reference Pager: everything in memory, the same copy-on-write and checkpoint rules as FilePager. */
export class MemoryPager implements Pager {
  readonly pageSize: number
  readonly bodySize: number
  readonly formatVersion: number
  private readonly storage: MemoryPageStorage
  private readonly pages: Map<number, MemoryPage>
  // Allocated since the last seal (referenced by no durable or sealed checkpoint), with the
  // retention generation each was allocated in: frozen ones are read-only (see retention.ts).
  private readonly writable = new Map<number, number>()
  private readonly reusable: FreePages
  // A page is reusable when no checkpoint references it and no retention may read it.
  private readonly retentions = new Retentions((pageId) => {
    this.pages.delete(pageId)
    this.reusable.add(pageId)
  })
  // Freed since the last seal but referenced by the durable (or sealed) checkpoint.
  private pendingFree = new Set<number>()
  private pageCount: number
  /** Sealed, not yet committed, in seal order: each commits after the one before. */
  private readonly sealedQueue: SealedState[] = []
  private closed = false
  private pageWrites = 0

  constructor(options: MemoryPagerOptions = {}) {
    const pageSize = options.storage?.pageSize ?? options.pageSize ?? 4096
    if (!isValidPageSize(pageSize)) {
      throw new TinyDbError('INVALID_ARGUMENT', `pageSize must be a power of two in [512, 65536], got ${pageSize}`)
    }
    const formatVersion = options.storage?.formatVersion ?? options.formatVersion ?? FORMAT_VERSION
    if (pageChecksumFor(formatVersion, pageSize) === undefined) {
      throw new TinyDbError('INVALID_ARGUMENT', `formatVersion must be a data-file format version this build knows (1 to ${FORMAT_VERSION}), got ${formatVersion}`)
    }
    this.storage = options.storage ?? new MemoryPageStorage(pageSize, formatVersion)
    this.formatVersion = formatVersion
    this.pageSize = pageSize
    this.bodySize = pageSize - MEMORY_PAGE_HEADER_SIZE
    this.pages = new Map([...this.storage.pages].map(([id, page]) => [id, clonePage(page)]))
    this.reusable = new FreePages(this.storage.free)
    this.pageCount = this.storage.meta.pageCount
  }

  get meta(): PagerMeta {
    return this.storage.meta
  }

  read(pageId: number): Page {
    this.assertOpen()
    const page = this.pages.get(pageId)
    if (page === undefined) {
      throw new TinyDbError('INVALID_ARGUMENT', `page ${pageId} is not an allocated page (page count ${this.pageCount})`)
    }
    return page
  }

  allocate(type: number): Page {
    this.assertOpen()
    if (!isUserPageType(type)) {
      throw new TinyDbError('INVALID_ARGUMENT', `page type must be an integer in [16, 255], got ${type}`)
    }
    const id = this.reusable.takeLowest() ?? this.pageCount++
    const page: MemoryPage = { id, type, body: new Uint8Array(this.bodySize) }
    this.pages.set(id, page)
    this.writable.set(id, this.retentions.currentGeneration)
    return page
  }

  isWritable(pageId: number): boolean {
    const generation = this.writable.get(pageId)
    return generation !== undefined && generation >= this.retentions.frozenBelow
  }

  retain(): PageRetention {
    this.assertOpen()
    return this.retentions.retain()
  }

  free(pageId: number): void {
    this.assertOpen()
    this.assertLive(pageId, 'free')
    const generation = this.writable.get(pageId)
    if (generation !== undefined) {
      this.writable.delete(pageId)
      if (generation < this.retentions.frozenBelow && this.retentions.holdIfRetained(pageId)) {
        this.retentions.deferReuse(pageId)
      } else {
        this.pages.delete(pageId)
        this.reusable.add(pageId)
      }
    } else {
      this.pendingFree.add(pageId)
      this.retentions.holdIfRetained(pageId)
    }
  }

  /** Seals a new checkpoint, queued behind the pending ones (this pager never folds them). */
  beginCheckpoint(target: CheckpointTarget): PendingCheckpoint {
    this.assertOpen()
    if (!Number.isSafeInteger(target.checkpointLsn) || target.checkpointLsn < 0) {
      throw new TinyDbError('INVALID_ARGUMENT', `checkpointLsn must be a non-negative safe integer, got ${target.checkpointLsn}`)
    }
    if (target.rootPageId !== 0) this.assertLive(target.rootPageId, 'use as root')
    const releasedAtCommit = this.pendingFree
    // What the pending checkpoints release is free in this one, which commits after them.
    const releasedEarlier = new Set<number>()
    for (const before of this.sealedQueue) for (const id of before.releasedAtCommit) releasedEarlier.add(id)
    const retained = this.retentions.unreferencedPages()
    const notLive = (id: number): boolean => releasedAtCommit.has(id) || releasedEarlier.has(id) || this.retentions.isUnreferenced(id)
    const sealed: SealedState = {
      meta: {
        checkpointId: (this.sealedQueue.at(-1)?.meta.checkpointId ?? this.storage.meta.checkpointId) + 1,
        checkpointLsn: target.checkpointLsn,
        rootPageId: target.rootPageId,
        pageCount: this.pageCount,
      },
      pages: new Map([...this.pages].filter(([id]) => !notLive(id))),
      free: [...this.reusable.toArray(), ...releasedAtCommit, ...releasedEarlier, ...retained],
      releasedAtCommit,
      newPages: this.writable.size,
    }
    this.sealedQueue.push(sealed)
    this.writable.clear()
    this.pendingFree = new Set()
    return { checkpointId: sealed.meta.checkpointId, commit: () => this.requestCommit(sealed) }
  }

  /** Commits `sealed`, after every checkpoint sealed before it (asking for theirs too). */
  private requestCommit(sealed: SealedState): Promise<PagerMeta> {
    if (sealed.commit !== undefined) return sealed.commit
    const index = this.sealedQueue.indexOf(sealed)
    const before = index > 0 ? this.requestCommit(this.sealedQueue[index - 1]!) : Promise.resolve()
    sealed.commit = before.then(() => this.commit(sealed))
    return sealed.commit
  }

  accounting(): PageAccounting {
    return {
      pageCount: this.pageCount,
      internal: [0, 1],
      free: this.reusable.toArray().sort(ascending),
      pendingFree: [...this.pendingFree, ...this.sealedQueue.flatMap((sealed) => [...sealed.releasedAtCommit])].sort(ascending),
      retained: [...this.retentions.unreferencedPages()].sort(ascending),
    }
  }

  get dirtyPages(): number {
    return this.writable.size
  }

  get unsealedPages(): number {
    return this.writable.size
  }

  stats(): PagerStats {
    return {
      pageSize: this.pageSize,
      pageCount: this.pageCount,
      freePages: this.reusable.size,
      pendingFreePages: this.pendingFree.size + this.sealedQueue.reduce((sum, sealed) => sum + sealed.releasedAtCommit.size, 0),
      retainedPages: this.retentions.heldCount,
      liveRetentions: this.retentions.liveCount,
      dirtyPages: this.dirtyPages,
      cachedPages: this.pages.size,
      cacheHits: 0,
      cacheMisses: 0,
      pageReads: 0,
      pageWrites: this.pageWrites,
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.retentions.clear()
    await Promise.allSettled(this.sealedQueue.map((sealed) => sealed.commit))
  }

  private async commit(sealed: SealedState): Promise<PagerMeta> {
    this.assertOpen()
    await Promise.resolve()
    // Clones: a caller writing through a read-only page must not change what "the disk" holds.
    this.storage.pages = new Map([...sealed.pages].map(([id, page]) => [id, clonePage(page)]))
    this.storage.free = [...sealed.free]
    this.storage.meta = sealed.meta
    for (const id of sealed.releasedAtCommit) {
      if (this.retentions.deferReuse(id)) continue
      this.pages.delete(id)
      this.reusable.add(id)
    }
    this.pageWrites += sealed.newPages
    this.sealedQueue.shift()
    return sealed.meta
  }

  /** A page the current structure may reference: allocated, and not freed since. */
  private assertLive(pageId: number, action: string): void {
    const freed =
      this.pendingFree.has(pageId) ||
      this.sealedQueue.some((sealed) => sealed.releasedAtCommit.has(pageId)) ||
      this.retentions.isUnreferenced(pageId)
    if (!this.pages.has(pageId) || freed) {
      throw new TinyDbError('INVALID_ARGUMENT', `cannot ${action} page ${pageId}: it is not an allocated page`)
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new TinyDbError('CLOSED', 'the pager is closed')
  }
}

function clonePage(page: MemoryPage): MemoryPage {
  return { id: page.id, type: page.type, body: page.body.slice() }
}

function ascending(a: number, b: number): number {
  return a - b
}
