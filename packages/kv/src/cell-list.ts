import { cellCount, fillEmptySlotted, slotAt, type SlottedKind } from './slotted-format.js'

/**
 * The cells of one or two pages (plus at most one new cell) in key order, gathered from copies of
 * the pages so that the pages themselves can be rebuilt from it: the common ground of splitting,
 * merging and redistributing. One list serves every rebuild of a tree (see
 * `TreeContext.cellsForRebuild`), so the arrays grow once instead of on every rebuild.
 */
export class CellList {
  /** `slotSize`: bytes of slot per cell in the pages the list is laid out into. */
  constructor(readonly slotSize: number) {}

  readonly sources: Uint8Array[] = []
  readonly offsets: number[] = []
  readonly lengths: number[] = []

  get length(): number {
    return this.lengths.length
  }

  /** Empties the list, keeping the arrays' room. */
  clear(): void {
    this.sources.length = 0
    this.offsets.length = 0
    this.lengths.length = 0
  }

  push(source: Uint8Array, offset: number, length: number): void {
    this.sources.push(source)
    this.offsets.push(offset)
    this.lengths.push(length)
  }

  /** Appends cells [from, to) of the page copy `page` of `kind` (all of them by default), in slot order. */
  pushPage(page: Uint8Array, kind: SlottedKind, from = 0, to = cellCount(page)): void {
    for (let i = from; i < to; i++) {
      const offset = slotAt(page, kind.headerSize, i)
      this.push(page, offset, kind.cellSizeOf(page, offset))
    }
  }

  /** Bytes that cells [from, to) take in a page, slots included. */
  bytes(from: number, to: number): number {
    let total = 0
    for (let i = from; i < to; i++) total += this.lengths[i]! + this.slotSize
    return total
  }

  /**
   * Fills an emptied slotted page, which has room for them, with cells [from, to), and gives it
   * the key-head prefix they share.
   */
  fill(body: Uint8Array, kind: SlottedKind, from: number, to: number): void {
    fillEmptySlotted(body, kind, this.sources, this.offsets, this.lengths, from, to)
  }
}

/**
 * Where to cut leaf cells into a left page [0, k) and a right page [k, n): the k that balances the
 * bytes, both halves fitting in `usable`. With `appendBias` (an insert at the very end of the
 * tree, i.e. an ascending bulk load) the left page keeps everything but the new last cell, so
 * sequential loads fill pages completely instead of leaving them half empty.
 */
export function chooseLeafSplit(cells: CellList, usable: number, appendBias: boolean): number {
  const n = cells.length
  const total = cells.bytes(0, n)
  if (appendBias && n >= 2 && total - cells.bytes(n - 1, n) <= usable) return n - 1
  let best = -1
  let bestWorst = Number.POSITIVE_INFINITY
  let left = 0
  for (let k = 1; k < n; k++) {
    left += cells.lengths[k - 1]! + cells.slotSize
    const right = total - left
    const worst = left > right ? left : right
    if (left <= usable && right <= usable && worst < bestWorst) {
      best = k
      bestWorst = worst
    }
  }
  if (best < 0) throw new Error(`kv internal error: no leaf split point for ${n} cells of ${total} bytes`)
  return best
}

/**
 * Which branch cell m moves up to the parent when cells [0, m) stay left and (m, n) go right.
 * Balanced by bytes, both sides non-empty when there are at least three cells; `appendBias` as for
 * leaves (the right page receives only the new last cell).
 */
export function chooseBranchSplit(cells: CellList, usable: number, appendBias: boolean): number {
  const n = cells.length
  const total = cells.bytes(0, n)
  if (appendBias && n >= 3 && cells.bytes(0, n - 2) <= usable) return n - 2
  const first = n >= 3 ? 1 : 0
  const last = n >= 3 ? n - 2 : n - 1
  let best = -1
  let bestWorst = Number.POSITIVE_INFINITY
  let left = cells.bytes(0, first)
  for (let m = first; m <= last; m++) {
    const right = total - left - (cells.lengths[m]! + cells.slotSize)
    const worst = left > right ? left : right
    if (left <= usable && right <= usable && worst < bestWorst) {
      best = m
      bestWorst = worst
    }
    left += cells.lengths[m]! + cells.slotSize
  }
  if (best < 0) throw new Error(`kv internal error: no branch split point for ${n} cells of ${total} bytes`)
  return best
}
