import { Buffer } from 'node:buffer'
import type { Db, ScanOptions } from '@tinydb/engine'
import { toLevelError } from './errors.js'

/** One side of a key range: the bound key, and whether the key itself is in the range. */
export interface Bound {
  readonly key: Uint8Array
  readonly inclusive: boolean
}

/** The range options abstract-level hands to `_iterator`, `_keys`, `_values` and `_clear`, encoded as bytes. */
export interface LevelRange {
  readonly gt?: Uint8Array
  readonly gte?: Uint8Array
  readonly lt?: Uint8Array
  readonly lte?: Uint8Array
  readonly reverse: boolean
}

type Entry = [key: Uint8Array, value: Uint8Array]

/**
 * A position in a key range that can be moved (`seek`), read through the engine's `scan`.
 *
 * Every read (`next`, `nextv`) starts a fresh engine scan just after the last key returned, bounded
 * by the number of entries wanted. So each read reflects every write acknowledged before the read
 * began, whatever read-ahead the engine's scan does internally, and never skips or repeats a key.
 * There is no snapshot: an iterator sees writes (and deletes) made after it was created, which is
 * abstract-level's `implicitSnapshots: false`. Re-seeking from the root per read costs a descent
 * of the tree (a few cached pages), which a `nextv` of many entries pays once.
 */
export class ScanCursor {
  private readonly db: Db
  private readonly reverse: boolean
  private readonly lower: Bound | undefined
  private readonly upper: Bound | undefined
  /** Where the next read starts: the near bound of the range, or just past the last key returned. */
  private position: Bound | undefined

  constructor(db: Db, range: LevelRange) {
    this.db = db
    this.reverse = range.reverse
    // Level's rule, not an intersection: when both are given, `gte` wins over `gt` and `lte` over `lt`.
    this.lower = bound(range.gte, true) ?? bound(range.gt, false)
    this.upper = bound(range.lte, true) ?? bound(range.lt, false)
    this.position = this.reverse ? this.upper : this.lower
  }

  /** The next entry in the iterator's direction, or undefined at the end of the range. */
  async next(): Promise<Entry | undefined> {
    return (await this.nextv(1))[0]
  }

  /** Up to `size` entries (fewer only at the end of the range); `Infinity` reads to the end. */
  async nextv(size: number): Promise<Entry[]> {
    const entries: Entry[] = []
    if (size <= 0) return entries
    try {
      for await (const entry of this.db.scan(this.scanOptions(size))) entries.push(entry)
    } catch (error) {
      throw toLevelError(error)
    }
    const last = entries[entries.length - 1]
    if (last !== undefined) this.position = { key: last[0], inclusive: false }
    return entries
  }

  /**
   * Moves to the first key >= `target` (<= `target` when reverse), never leaving the iterator's
   * range: a target outside it gives an empty iterator. Synchronous, as abstract-level requires.
   */
  seek(target: Uint8Array): void {
    const at: Bound = { key: target, inclusive: true }
    this.position = this.reverse ? tighter(this.upper, at, -1) : tighter(this.lower, at, 1)
  }

  private scanOptions(size: number): ScanOptions {
    const options: { -readonly [K in keyof ScanOptions]: ScanOptions[K] } = { reverse: this.reverse }
    const [lower, upper] = this.reverse ? [this.lower, this.position] : [this.position, this.upper]
    if (lower !== undefined) options[lower.inclusive ? 'gte' : 'gt'] = lower.key
    if (upper !== undefined) options[upper.inclusive ? 'lte' : 'lt'] = upper.key
    if (size !== Infinity) options.limit = size
    return options
  }
}

function bound(key: Uint8Array | undefined, inclusive: boolean): Bound | undefined {
  return key === undefined ? undefined : { key, inclusive }
}

/**
 * Of two bounds on the same side, the one that admits fewer keys: for a lower bound (`side` 1) the
 * larger key, for an upper bound (`side` -1) the smaller; on equal keys the exclusive one.
 */
export function tighter(a: Bound | undefined, b: Bound | undefined, side: 1 | -1): Bound | undefined {
  if (a === undefined) return b
  if (b === undefined) return a
  const order = Buffer.compare(a.key, b.key) * side
  if (order !== 0) return order > 0 ? a : b
  return a.inclusive ? b : a
}
