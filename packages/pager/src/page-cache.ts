import { PAGE_HEADER_SIZE } from './page-format.js'
import { PageIdMap } from './page-id-map.js'
import type { Page } from './pager.js'

/**
 * Where a page held in memory stands:
 * - `writable`: allocated since the last seal; exists only here until a checkpoint writes it.
 * - `sealed`: part of a sealed checkpoint whose commit has not finished; read-only, and still the
 *   only copy the current state can read, so it cannot be dropped either.
 * - `clean`: identical to the bytes in the file; may be evicted and read again.
 */
export type Residency = 'writable' | 'sealed' | 'clean'

/**
 * A page in memory: the whole page image (header + body), its place in the clock queue, and the
 * `Page` the pager hands out for it — the entry itself, not an object of its own: at millions of
 * cached pages each object a lookup goes through is a likely cache miss, and one object less per
 * page is less heap (random gets at 3 M keys, all cached: median 263k against 252k gets/s over 8
 * alternating runs, within this machine's noise). Its id and type change when it is recycled.
 */
export class ResidentPage implements Page {
  id: number
  type: number
  /** A view of `image` past the header. */
  readonly body: Uint8Array
  residency: Residency
  /** The retention generation the page was allocated in (see retention.ts); 0 for pages read from the file. */
  generation = 0
  /** Index in the clock queue while `clean`, else -1. */
  slot = -1
  /** 1 when hit since it was queued or last given its second chance, else 0. A number: one store, no write barrier. */
  referenced = 0
  /** While `sealed`: the id of the checkpoint that writes it. */
  sealedIn = 0
  /** The checkpoint whose stamp (header and checksum) the image holds, 0 for none. */
  stampedFor = 0

  constructor(
    /** pageSize bytes; `body` is a view of it past the header. */
    readonly image: Uint8Array,
    id: number,
    type: number,
    residency: Residency,
  ) {
    this.id = id
    this.type = type
    this.body = image.subarray(PAGE_HEADER_SIZE)
    this.residency = residency
  }

  /** Makes a recycled entry (see `PageCache.takeRecycled`) stand for another page; the image keeps its old bytes. */
  reuse(id: number, type: number, residency: Residency): this {
    this.id = id
    this.type = type
    this.residency = residency
    this.generation = 0
    this.referenced = 0
    this.sealedIn = 0
    this.stampedFor = 0
    return this
  }
}

/**
 * Every page held in memory, by id, within one budget of `capacity` pages. Writable and sealed pages
 * are pinned (they cannot be dropped before a checkpoint writes them); clean pages get what the
 * pinned ones leave: they are evicted while clean + pinned > capacity. So memory stays at
 * `capacity` pages as long as the upper layer checkpoints before pinned pages alone exceed it (the
 * engine starts a checkpoint at half the budget and stalls writers beyond it); past that,
 * only pinned pages are kept.
 *
 * Eviction is CLOCK (second chance), not an LRU list: a hit only sets the entry's `referenced`
 * flag — a Map lookup and one store, where moving the entry to the head of a list wrote four
 * pointers into other pages' entries (random gets at 100k keys, all cached, ran ~9 % faster
 * without that, at the same hit ratio at 1 M keys). Clean pages wait in a queue in
 * the order they became clean; eviction takes the head, and a head whose flag is set has it cleared
 * and goes to the tail instead (FIFO with a second chance: the clock's hand is the head). Pages on
 * every lookup's path (root, branches) are hit again long before they come round, so they stay, as
 * they did under LRU.
 *
 * Evicted entries, and those the pager lets go (`recycle`), go to a pool that `takeRecycled` hands
 * out again, image and all, so a miss or an allocation in the steady state allocates nothing (no
 * page buffer to zero-fill now and collect later: the garbage collector frees external memory only
 * at its next full collection, which is what let the process grow far past the cache). That is what
 * makes a clean page valid only until the pager's next `read` or `allocate` (see `Page.body`): the
 * entry may be evicted by any call, and its image is overwritten when a later `read` or `allocate`
 * takes it from here.
 */
export class PageCache {
  private readonly resident = new PageIdMap<ResidentPage>()
  /** Clean entries by `slot`, from `head` on; holes where entries left, squeezed out once they outnumber the entries. */
  private queue: Array<ResidentPage | undefined> = []
  private head = 0
  private cleanCount = 0
  private readonly recycled: ResidentPage[] = []

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

  /** The page if held, marking it referenced (a second chance when it comes to the head). */
  get(pageId: number): ResidentPage | undefined {
    const entry = this.resident.get(pageId)
    // Stored only when it changes: most hits find the flag set, and a store dirties the entry's
    // cache line, which at millions of entries is a line written back for every lookup.
    if (entry !== undefined && entry.referenced === 0) entry.referenced = 1
    return entry
  }

  /** The page if held, without marking it referenced. */
  peek(pageId: number): ResidentPage | undefined {
    return this.resident.get(pageId)
  }

  /** Holds a page that is not clean (writable or sealed): pinned until `markClean` or `delete`. Its room comes out of the clean pages. */
  addPinned(entry: ResidentPage): void {
    if (entry.residency === 'clean') throw new RangeError('addPinned takes a writable or sealed page')
    this.replace(entry)
    this.evictOverCapacity()
  }

  /** Holds a page just read from the file, evicting clean pages over the budget. */
  addClean(entry: ResidentPage): void {
    entry.residency = 'clean'
    if (this.capacity === 0) {
      // Held by nothing: the next `read` or `allocate` takes its image, as the page lifetime allows.
      this.recycle(entry)
      return
    }
    this.replace(entry)
    this.enqueue(entry)
    this.evictOverCapacity()
  }

  /** A pinned page is now identical to the file's bytes: it may be evicted from now on. */
  markClean(entry: ResidentPage): void {
    this.markAllClean([entry])
  }

  /**
   * `markClean` of many pages (a checkpoint's, when it becomes durable), with one eviction pass at
   * the end: thousands of pages, each checking the budget, was most of a close's main-thread time.
   */
  markAllClean(entries: readonly ResidentPage[]): void {
    for (let index = 0; index < entries.length; index++) {
      const entry = entries[index]!
      if (entry.residency === 'clean') continue
      entry.residency = 'clean'
      if (this.capacity > 0) {
        this.enqueue(entry)
      } else {
        this.resident.delete(entry.id)
        this.recycle(entry)
      }
    }
    this.evictOverCapacity()
  }

  /** Drops the page; returns its entry, which the caller may `recycle` once nothing refers to it. */
  delete(pageId: number): ResidentPage | undefined {
    const entry = this.resident.get(pageId)
    if (entry === undefined) return undefined
    this.resident.delete(pageId)
    if (entry.residency === 'clean') this.dequeue(entry)
    return entry
  }

  /** `delete` and then `recycle`: for a page nothing refers to any more, such as a freed page whose copy in the file is intact. */
  discard(pageId: number): void {
    const entry = this.delete(pageId)
    if (entry !== undefined) this.recycle(entry)
  }

  /**
   * Keeps an entry that nothing refers to any more (evicted, or a freed page's) for `takeRecycled`.
   * Always: page images are views of shared slabs (page-memory.ts), and a slab is freed only when
   * none of its pages is referenced, so an image handed to the garbage collector frees nothing while
   * a sibling lives, and the next allocation takes a new slab — a 10 M-key load grew to 685 MB that
   * way. Kept, every image is reused: the pager allocates only when the pool is empty, so the images
   * ever allocated are the most pages it held at once (about `capacity`, plus pinned pages past it),
   * and the pool holds what a checkpoint releases until misses and allocations take it back.
   */
  recycle(entry: ResidentPage): void {
    this.recycled.push(entry)
  }

  /** An entry nothing refers to, whose image may be overwritten, or undefined when none is waiting. */
  takeRecycled(): ResidentPage | undefined {
    return this.recycled.pop()
  }

  /** Entries waiting in the pool. */
  get recycledPages(): number {
    return this.recycled.length
  }

  clear(): void {
    this.recycled.length = 0
    this.resident.clear()
    this.queue = []
    this.head = 0
    this.cleanCount = 0
  }

  private replace(entry: ResidentPage): void {
    this.delete(entry.id)
    this.resident.set(entry.id, entry)
  }

  private evictOverCapacity(): void {
    // resident.size = clean + pinned: the one budget both share. Ends: an entry moved to the tail
    // has its flag cleared, so after at most one round an unflagged entry is at the head.
    while (this.cleanCount > 0 && this.resident.size > this.capacity) {
      const entry = this.queue[this.head]
      this.queue[this.head++] = undefined
      if (entry === undefined) continue
      if (entry.referenced !== 0) {
        entry.referenced = 0
        entry.slot = this.queue.length
        this.queue.push(entry)
        continue
      }
      entry.slot = -1
      this.cleanCount--
      this.resident.delete(entry.id)
      // Nothing else refers to a clean entry: pinned pages are the only ones the pager also lists
      // elsewhere (writable, sealed), and a retained reader's images never enter the cache.
      this.recycle(entry)
    }
    this.squeezeIfSparse()
  }

  private enqueue(entry: ResidentPage): void {
    entry.referenced = 0
    entry.slot = this.queue.length
    this.queue.push(entry)
    this.cleanCount++
  }

  private dequeue(entry: ResidentPage): void {
    this.queue[entry.slot] = undefined
    entry.slot = -1
    this.cleanCount--
    this.squeezeIfSparse()
  }

  /** Drops the holes (and the slots before the head) once they outnumber the entries, keeping the order. */
  private squeezeIfSparse(): void {
    const queue = this.queue
    if (queue.length <= 2 * this.cleanCount + 64) return
    let kept = 0
    for (let index = this.head; index < queue.length; index++) {
      const entry = queue[index]
      if (entry === undefined) continue
      entry.slot = kept
      queue[kept++] = entry
    }
    queue.length = kept
    this.head = 0
  }
}
