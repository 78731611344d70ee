/**
 * The free list as read at open (see data-file.ts): the page ids of the durable checkpoint's free
 * list, ascending, as the chain lists them.
 */
export interface LoadedFreeList {
  /**
   * Ascending (checked at open). Not yet checked: that no id repeats — `FreePages` checks each id
   * against the next one as it hands it out or lists it, before anything can depend on it.
   */
  readonly ids: Uint32Array
  /** The error for `ids[index]` repeating `ids[index - 1]` (a `CORRUPTION` naming the free-list page). */
  duplicateAt(index: number): Error
}

const NO_LIST: LoadedFreeList = {
  ids: new Uint32Array(0),
  duplicateAt: (index) => new RangeError(`free-list entry ${index} repeats the one before it`),
}

/**
 * The pages that are reusable now: free in the durable checkpoint and in the current state. Handed
 * out lowest id first: new pages cluster at the front of the file, which keeps it compact and lets
 * a checkpoint coalesce adjacent pages into one write.
 *
 * Two parts, because of reopen (W6 of apps/bench compare): the free list read at open stays the
 * sorted array it was read as, consumed from its front, and only pages freed after that go into a
 * bitmap (one bit per page id). Indexing the whole list at open — into a Set and a heap first, then
 * into a bitmap — cost 3–15 ms of cold JavaScript per open for ~10k free pages; this way open does
 * no work per free page, `takeLowest` is O(1) on the list, and `has` is a binary search in it.
 */
export class FreePages {
  private readonly loaded: LoadedFreeList
  /** Entries `[listAt, loaded.ids.length)` of the loaded list are free. */
  private listAt = 0
  /** Bit `id % 32` of word `id >> 5` set ⇔ page `id` was freed since (never one the list still holds). Grows by doubling. */
  private words = new Uint32Array(64)
  private bitCount = 0
  /** No word below this one has a bit set: where the lowest-id search starts. */
  private lowestWord = 0

  /** @param pageIds free pages, in any order; `loaded` a free list read from a file, taken as is. */
  constructor(pageIds: Iterable<number> = [], loaded: LoadedFreeList = NO_LIST) {
    this.loaded = loaded
    for (const id of pageIds) this.add(id)
  }

  get size(): number {
    return this.loaded.ids.length - this.listAt + this.bitCount
  }

  has(pageId: number): boolean {
    const word = pageId >>> 5
    if (word < this.words.length && ((this.words[word]! >>> (pageId & 31)) & 1) === 1) return true
    return sortedIncludes(this.loaded.ids, pageId, this.listAt)
  }

  /** Adds a page; adding one that is already free is a caller bug (a double free) and is refused. */
  add(pageId: number): void {
    if (!Number.isInteger(pageId) || pageId < 0 || pageId > 0xffff_ffff) throw new RangeError(`page id ${pageId} is not a 32-bit unsigned integer`)
    if (this.has(pageId)) throw new RangeError(`page ${pageId} is already free`)
    const word = pageId >>> 5
    if (word >= this.words.length) {
      const grown = new Uint32Array(Math.max(word + 1, this.words.length * 2))
      grown.set(this.words)
      this.words = grown
    }
    this.words[word]! |= 1 << (pageId & 31)
    this.bitCount++
    if (word < this.lowestWord || this.bitCount === 1) this.lowestWord = word
  }

  /**
   * Removes and returns the lowest free page id, or undefined when none is free. Throws the loaded
   * list's `duplicateAt` error, changing nothing, when the id it would hand out is listed twice: the
   * second copy would be handed out again while the first is in use.
   */
  takeLowest(): number | undefined {
    const ids = this.loaded.ids
    const fromBits = this.bitCount === 0 ? -1 : this.lowestBit()
    if (this.listAt < ids.length && (fromBits < 0 || ids[this.listAt]! < fromBits)) {
      const id = ids[this.listAt]!
      if (this.listAt + 1 < ids.length && ids[this.listAt + 1] === id) throw this.loaded.duplicateAt(this.listAt + 1)
      this.listAt++
      return id
    }
    if (fromBits < 0) return undefined
    this.words[fromBits >>> 5]! &= ~(1 << (fromBits & 31))
    this.bitCount--
    return fromBits
  }

  /** The free page ids, ascending (a copy). Throws `duplicateAt` when the loaded list repeats an id. */
  toArray(): number[] {
    const bits = new Array<number>(this.bitCount)
    const words = this.words
    let at = 0
    for (let word = this.lowestWord; at < this.bitCount; word++) {
      let set = words[word]!
      while (set !== 0) {
        const low = set & -set
        bits[at++] = word * 32 + 31 - Math.clz32(low)
        set ^= low
      }
    }
    const ids = this.loaded.ids
    const merged = new Array<number>(this.size)
    let fromList = this.listAt
    let fromBits = 0
    for (at = 0; at < merged.length; at++) {
      if (fromList < ids.length && (fromBits >= bits.length || ids[fromList]! < bits[fromBits]!)) {
        if (fromList > this.listAt && ids[fromList] === ids[fromList - 1]) throw this.loaded.duplicateAt(fromList)
        merged[at] = ids[fromList++]!
      } else {
        merged[at] = bits[fromBits++]!
      }
    }
    return merged
  }

  /** The lowest id in the bitmap (which must not be empty), moving `lowestWord` up to it. */
  private lowestBit(): number {
    const words = this.words
    let word = this.lowestWord
    while (words[word] === 0) word++
    this.lowestWord = word
    const set = words[word]!
    return word * 32 + 31 - Math.clz32(set & -set)
  }
}

/** Whether `sorted[from..]`, ascending, holds `value` (a binary search). */
export function sortedIncludes(sorted: Uint32Array, value: number, from = 0): boolean {
  let low = from
  let high = sorted.length
  while (low < high) {
    const middle = (low + high) >>> 1
    if (sorted[middle]! < value) low = middle + 1
    else high = middle
  }
  return low < sorted.length && sorted[low] === value
}
