import { PAGE_HEADER_SIZE } from './page-format.js'
import type { Page } from './pager.js'

/**
 * Where a page held in memory stands:
 * - `writable`: allocated since the last seal; exists only here until a checkpoint writes it.
 * - `sealed`: part of a sealed checkpoint whose commit has not finished; read-only, and still the
 *   only copy the current state can read, so it cannot be dropped either.
 * - `clean`: identical to the bytes in the file; may be evicted and read again.
 */
export type Residency = 'writable' | 'sealed' | 'clean'

/** A page in memory: the whole page image (header + body) and its place in the LRU list. */
export class ResidentPage {
  readonly page: Page
  residency: Residency
  /** The retention generation the page was allocated in (see retention.ts); 0 for pages read from the file. */
  generation = 0
  /** LRU neighbours, toward the most recently used; set only while `clean`. */
  newer: ResidentPage | undefined = undefined
  older: ResidentPage | undefined = undefined

  constructor(
    /** pageSize bytes; `page.body` is a view of it past the header. */
    readonly image: Uint8Array,
    id: number,
    type: number,
    residency: Residency,
  ) {
    this.page = { id, type, body: image.subarray(PAGE_HEADER_SIZE) }
    this.residency = residency
  }
}

/**
 * Every page held in memory, by id, within one budget of `capacity` pages. Writable and sealed pages
 * are pinned (they cannot be dropped before a checkpoint writes them); clean pages sit in an LRU
 * list and get what the pinned ones leave: clean pages are evicted, oldest first, while clean +
 * pinned > capacity. So memory stays at `capacity` pages as long as the upper layer checkpoints
 * before pinned pages alone exceed it (the engine starts a checkpoint at a quarter of the budget
 * and stalls writers beyond it); past that, only pinned pages are kept.
 *
 * `get` on a hit is a Map lookup and at most four pointer moves: no allocation.
 */
export class PageCache {
  private readonly resident = new Map<number, ResidentPage>()
  private newest: ResidentPage | undefined = undefined
  private oldest: ResidentPage | undefined = undefined
  private cleanCount = 0

  /** @param capacity the number of pages kept, pinned and clean together; 0 keeps only pinned ones. */
  constructor(readonly capacity: number) {}

  /** Clean pages held (the bounded part). */
  get cleanPages(): number {
    return this.cleanCount
  }

  /** Writable and sealed pages held (the pinned part). */
  get pinnedPages(): number {
    return this.resident.size - this.cleanCount
  }

  /** The page if held, marking it most recently used. */
  get(pageId: number): ResidentPage | undefined {
    const entry = this.resident.get(pageId)
    if (entry !== undefined && entry.residency === 'clean' && entry !== this.newest) {
      this.unlink(entry)
      this.linkNewest(entry)
    }
    return entry
  }

  /** The page if held, without touching the LRU order. */
  peek(pageId: number): ResidentPage | undefined {
    return this.resident.get(pageId)
  }

  /** Holds a page that is not clean (writable or sealed): pinned until `markClean` or `delete`. Its room comes out of the clean pages. */
  addPinned(entry: ResidentPage): void {
    if (entry.residency === 'clean') throw new RangeError('addPinned takes a writable or sealed page')
    this.replace(entry)
    this.evictOverCapacity()
  }

  /** Holds a page just read from the file, evicting the least recently used clean pages over the budget. */
  addClean(entry: ResidentPage): void {
    entry.residency = 'clean'
    if (this.capacity === 0) return
    this.replace(entry)
    this.linkNewest(entry)
    this.cleanCount++
    this.evictOverCapacity()
  }

  /** A pinned page is now identical to the file's bytes: it may be evicted from now on. */
  markClean(entry: ResidentPage): void {
    if (entry.residency === 'clean') return
    entry.residency = 'clean'
    if (this.capacity === 0) {
      this.resident.delete(entry.page.id)
      return
    }
    this.linkNewest(entry)
    this.cleanCount++
    this.evictOverCapacity()
  }

  delete(pageId: number): void {
    const entry = this.resident.get(pageId)
    if (entry === undefined) return
    this.resident.delete(pageId)
    if (entry.residency === 'clean') {
      this.unlink(entry)
      this.cleanCount--
    }
  }

  clear(): void {
    this.resident.clear()
    this.newest = undefined
    this.oldest = undefined
    this.cleanCount = 0
  }

  private replace(entry: ResidentPage): void {
    this.delete(entry.page.id)
    this.resident.set(entry.page.id, entry)
  }

  private evictOverCapacity(): void {
    // resident.size = clean + pinned: the one budget both share.
    while (this.cleanCount > 0 && this.resident.size > this.capacity) {
      const victim = this.oldest!
      this.unlink(victim)
      this.resident.delete(victim.page.id)
      this.cleanCount--
    }
  }

  private linkNewest(entry: ResidentPage): void {
    entry.older = this.newest
    entry.newer = undefined
    if (this.newest !== undefined) this.newest.newer = entry
    this.newest = entry
    if (this.oldest === undefined) this.oldest = entry
  }

  private unlink(entry: ResidentPage): void {
    if (entry.newer !== undefined) entry.newer.older = entry.older
    else this.newest = entry.older
    if (entry.older !== undefined) entry.older.newer = entry.newer
    else this.oldest = entry.newer
    entry.newer = undefined
    entry.older = undefined
  }
}
