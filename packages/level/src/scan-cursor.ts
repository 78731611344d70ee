import { Buffer } from 'node:buffer'
import type { ScanOptions } from '@tinydb/engine'
import { abortError, toLevelError } from './errors.js'
import type { ReadView } from './snapshot.js'

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
 * A long read gives the event loop a turn after this many entries: a million-entry `all()` does
 * not block timers and I/O for its whole length, and an abort signal raised meanwhile is seen.
 */
const ENTRIES_PER_TURN = 1024

/**
 * A position in a key range of one unchanging view (an engine snapshot), read through its `scan`,
 * that can be moved (`seek`).
 *
 * The view is frozen, so one engine scan serves every read until a seek: it holds its place in the
 * tree between reads, and its read-ahead can never go stale. A seek drops it; the next read starts
 * a new scan at the target. Scans are started lazily, at a read, never at a seek: abstract-level
 * holds an explicit snapshot open only while a read is in flight.
 */
export class ScanCursor {
  private readonly view: ReadView
  private readonly reverse: boolean
  private readonly lower: Bound | undefined
  private readonly upper: Bound | undefined
  private readonly signal: AbortSignal | undefined
  /** Where a new scan starts: the near bound of the range, a seek target, or just past the last key returned. */
  private position: Bound | undefined
  private scan: AsyncIterator<Entry> | undefined

  constructor(view: ReadView, range: LevelRange, signal?: AbortSignal) {
    this.view = view
    this.reverse = range.reverse
    this.signal = signal
    // Level's rule, not an intersection: when both are given, `gte` wins over `gt` and `lte` over `lt`.
    this.lower = bound(range.gte, true) ?? bound(range.gt, false)
    this.upper = bound(range.lte, true) ?? bound(range.lt, false)
    this.position = this.reverse ? this.upper : this.lower
  }

  /** The next entry in the iterator's direction, or undefined at the end of the range. */
  async next(): Promise<Entry | undefined> {
    return (await this.nextv(1))[0]
  }

  /**
   * Up to `size` entries (fewer only at the end of the range); `Infinity` reads to the end.
   * Rejects with `LEVEL_ABORTED` if the signal is aborted before it resolves; the entries it read
   * are then dropped (abstract-level refuses every later read of an aborted iterator).
   */
  async nextv(size: number): Promise<Entry[]> {
    const entries: Entry[] = []
    if (size <= 0) return entries
    try {
      const scan = (this.scan ??= this.view.scan(this.scanOptions()))
      while (entries.length < size) {
        if (entries.length > 0 && entries.length % ENTRIES_PER_TURN === 0) await nextTurn()
        this.throwIfAborted()
        const result = await scan.next()
        if (result.done === true) break
        entries.push(result.value)
      }
    } catch (error) {
      // The next read starts a new scan just after the last key returned: it retries the failed
      // read rather than ending the iterator early.
      this.close()
      throw toLevelError(error)
    }
    this.throwIfAborted()
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
    this.close()
  }

  /** Ends the current scan, if any; the next read starts a new one. */
  close(): void {
    const scan = this.scan
    this.scan = undefined
    void scan?.return?.()
  }

  private throwIfAborted(): void {
    if (this.signal?.aborted === true) throw abortError(this.signal.reason)
  }

  private scanOptions(): ScanOptions {
    const options: { -readonly [K in keyof ScanOptions]: ScanOptions[K] } = { reverse: this.reverse }
    const [lower, upper] = this.reverse ? [this.lower, this.position] : [this.position, this.upper]
    if (lower !== undefined) options[lower.inclusive ? 'gte' : 'gt'] = lower.key
    if (upper !== undefined) options[upper.inclusive ? 'lte' : 'lt'] = upper.key
    return options
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve))
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
