/**
 * The pages that are reusable now: free in the durable checkpoint and in the current state. A
 * bitmap, one bit per page id, scanned from the lowest possibly-set word, so allocation hands out
 * the lowest free id first: new pages cluster at the front of the file, which keeps it compact and
 * lets a checkpoint coalesce adjacent pages into one write.
 *
 * A bitmap, not a set and a heap, because of reopen: indexing a free list of ~10k pages into a Set
 * and a heap cost ~15 ms cold at every open (W6 of apps/bench compare). Building this is one bit
 * per id, and `toArray` comes out ascending, which is the order the free list is written in.
 */
export class FreePages {
  /** Bit `id % 32` of word `id >> 5` set ⇔ page `id` is free. Grows (doubling) to cover the highest id added. */
  private words: Uint32Array
  private count = 0
  /** No word below this one has a bit set: where the lowest-id search starts. */
  private lowestWord = 0

  constructor(pageIds: Iterable<number> = []) {
    const ids = Array.isArray(pageIds) ? (pageIds as readonly number[]) : [...pageIds]
    // Sized for an ascending list (the free list on disk is), grown if the list is not.
    const last = ids.length === 0 ? 0 : Math.max(ids[0]!, ids[ids.length - 1]!)
    let words = new Uint32Array(Math.max(64, (last >>> 5) + 1))
    let lowest = words.length
    // One inlined pass, no call per id: this runs at every open, over thousands of ids, cold.
    for (let index = 0; index < ids.length; index++) {
      const id = ids[index]!
      if (!(id >= 0 && id <= 0xffff_ffff && id === Math.floor(id))) throw new RangeError(`page id ${id} is not a 32-bit unsigned integer`)
      const word = id >>> 5
      if (word >= words.length) {
        const grown = new Uint32Array(Math.max(word + 1, words.length * 2))
        grown.set(words)
        words = grown
      }
      const bit = 1 << (id & 31)
      if ((words[word]! & bit) !== 0) throw new RangeError(`page ${id} is already free`)
      words[word] = words[word]! | bit
      if (word < lowest) lowest = word
    }
    this.words = words
    this.count = ids.length
    this.lowestWord = ids.length === 0 ? 0 : lowest
  }

  get size(): number {
    return this.count
  }

  has(pageId: number): boolean {
    const word = pageId >>> 5
    return word < this.words.length && ((this.words[word]! >>> (pageId & 31)) & 1) === 1
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
    this.count++
    if (word < this.lowestWord) this.lowestWord = word
  }

  /** Removes and returns the lowest free page id, or undefined when none is free. */
  takeLowest(): number | undefined {
    if (this.count === 0) return undefined
    const words = this.words
    let word = this.lowestWord
    while (words[word] === 0) word++
    this.lowestWord = word
    const bits = words[word]!
    const bit = 31 - Math.clz32(bits & -bits)
    words[word] = bits & ~(1 << bit)
    this.count--
    return word * 32 + bit
  }

  /** The free page ids, ascending (a copy). */
  toArray(): number[] {
    const ids = new Array<number>(this.count)
    const words = this.words
    let at = 0
    for (let word = this.lowestWord; at < this.count; word++) {
      let bits = words[word]!
      while (bits !== 0) {
        const low = bits & -bits
        ids[at++] = word * 32 + 31 - Math.clz32(low)
        bits ^= low
      }
    }
    return ids
  }
}
