import { MAX_PAGE_COUNT } from './page-format.js'

/** A key no page can have: page ids are below `pageCount`, which is at most MAX_PAGE_COUNT. */
const EMPTY = MAX_PAGE_COUNT
const INITIAL_SLOTS = 64

/**
 * Page id → value, by open addressing (linear probing) over a `Uint32Array` of keys.
 *
 * Why not a `Map`: the page cache and the set of writable pages churn thousands of entries per
 * checkpoint, and a `Map` rebuilds its whole table whenever deleted entries fill it — each rebuild
 * a new table of the map's full size, outliving a scavenge or two and so promoted: at 1 M keys,
 * those tables were half of all the garbage the old generation collected, and the heap grows with
 * the rate that garbage arrives (V8 sizes the next collection's limit by it). Here a delete moves
 * the entries after it back (backward-shift deletion: no tombstones), so the table is rebuilt only
 * when it grows, and `clear` keeps it: in a steady state, set and delete allocate nothing.
 *
 * Invariant: every key sits in the probe run that starts at its home slot, with no empty slot
 * between its home and it; the table is at most half full, so every run ends.
 */
export class PageIdMap<V> {
  private keys = new Uint32Array(INITIAL_SLOTS).fill(EMPTY)
  private values: Array<V | undefined> = new Array<V | undefined>(INITIAL_SLOTS).fill(undefined)
  private shift = 32 - Math.log2(INITIAL_SLOTS)
  private count = 0

  get size(): number {
    return this.count
  }

  get(pageId: number): V | undefined {
    const keys = this.keys
    const mask = keys.length - 1
    for (let slot = this.home(pageId); ; slot = (slot + 1) & mask) {
      const key = keys[slot]!
      if (key === pageId) return this.values[slot]
      if (key === EMPTY) return undefined
    }
  }

  has(pageId: number): boolean {
    return this.get(pageId) !== undefined
  }

  /** Sets the value of `pageId`; `value` must not be undefined (undefined means absent). */
  set(pageId: number, value: V): void {
    if (2 * (this.count + 1) > this.keys.length) this.grow()
    const keys = this.keys
    const mask = keys.length - 1
    for (let slot = this.home(pageId); ; slot = (slot + 1) & mask) {
      const key = keys[slot]!
      if (key === pageId) {
        this.values[slot] = value
        return
      }
      if (key === EMPTY) {
        keys[slot] = pageId
        this.values[slot] = value
        this.count++
        return
      }
    }
  }

  delete(pageId: number): boolean {
    const keys = this.keys
    const values = this.values
    const mask = keys.length - 1
    let hole = this.home(pageId)
    while (keys[hole] !== pageId) {
      if (keys[hole] === EMPTY) return false
      hole = (hole + 1) & mask
    }
    // Backward shift: walk the run after the hole; an entry whose home is not cyclically in
    // (hole, slot] would become unreachable past the hole, so it moves into the hole.
    for (let slot = (hole + 1) & mask; keys[slot] !== EMPTY; slot = (slot + 1) & mask) {
      const home = this.home(keys[slot]!)
      const reachable = hole <= slot ? hole < home && home <= slot : hole < home || home <= slot
      if (reachable) continue
      keys[hole] = keys[slot]!
      values[hole] = values[slot]
      hole = slot
    }
    keys[hole] = EMPTY
    values[hole] = undefined
    this.count--
    return true
  }

  /** Empties the map, keeping its table (a map cleared each checkpoint fills to the same size again). */
  clear(): void {
    if (this.count === 0) return
    this.keys.fill(EMPTY)
    this.values.fill(undefined)
    this.count = 0
  }

  /** Calls `visit` with every value, in no particular order; the map must not change meanwhile. */
  forEachValue(visit: (value: V) => void): void {
    const { keys, values } = this
    for (let slot = 0; slot < keys.length; slot++) if (keys[slot] !== EMPTY) visit(values[slot]!)
  }

  /** Fibonacci hashing: page ids come in runs, and the multiply spreads a run over the table. */
  private home(pageId: number): number {
    return Math.imul(pageId, 0x9e37_79b1) >>> this.shift
  }

  private grow(): void {
    const oldKeys = this.keys
    const oldValues = this.values
    const slots = oldKeys.length * 2
    this.keys = new Uint32Array(slots).fill(EMPTY)
    this.values = new Array<V | undefined>(slots).fill(undefined)
    this.shift--
    this.count = 0
    for (let slot = 0; slot < oldKeys.length; slot++) {
      if (oldKeys[slot] !== EMPTY) this.set(oldKeys[slot]!, oldValues[slot]!)
    }
  }
}
