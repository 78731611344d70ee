import { copyBytes } from './bytes.js'
import { compareKeyWithBytes, compareKeys } from './compare.js'
import type { TreeContext } from './context.js'
import { MAX_TREE_DEPTH } from './context.js'
import { branchChildAt, branchChildIndex } from './branch-format.js'
import { LEAF_CELL_KEY_OFFSET, LEAF_PAGE_TYPE, leafCellOffset, leafKeyLength, leafSeek } from './leaf-format.js'
import { readLeafValue } from './overflow.js'
import { assertKey } from './key.js'
import { cellCount } from './slotted-format.js'

/** Bounds of a scan; when both of a pair are given, the tighter one applies. */
export interface KeyRange {
  readonly gte?: Uint8Array
  readonly gt?: Uint8Array
  readonly lte?: Uint8Array
  readonly lt?: Uint8Array
  readonly reverse?: boolean
}

export interface TreeCursor {
  /** The next entry (copies), ascending — descending for a reverse range — or undefined at the end. */
  next(): [key: Uint8Array, value: Uint8Array] | undefined
}

/** Whether `key` lies within the range's bounds (`reverse` does not matter). */
export function isKeyInRange(key: Uint8Array, range: KeyRange): boolean {
  if (range.gte !== undefined && compareKeys(key, range.gte) < 0) return false
  if (range.gt !== undefined && compareKeys(key, range.gt) <= 0) return false
  if (range.lte !== undefined && compareKeys(key, range.lte) > 0) return false
  if (range.lt !== undefined && compareKeys(key, range.lt) >= 0) return false
  return true
}

/** Refuses bounds that are not byte strings (INVALID_ARGUMENT). */
export function assertRange(range: KeyRange): void {
  for (const bound of [range.gte, range.gt, range.lte, range.lt]) {
    if (bound !== undefined) assertKey(bound)
  }
}

/**
 * What a cursor needs to know of its tree at each step. Read on every step, so a source that can
 * go away (a released snapshot) throws from these getters rather than let the cursor read pages
 * that may have been reused.
 */
export interface CursorSource {
  readonly rootPageId: number
  readonly version: number
}

const UNSTARTED = 0
const POSITIONED = 1
const DONE = 2

/**
 * A position in the tree kept as a path stack (page id and index per level) — no sibling links,
 * which copy-on-write could not keep current. Pages are re-read by id at every step rather than
 * held, because between steps the tree may have been modified and its pages freed or reused.
 *
 * Stability: the cursor remembers the last key it returned and the tree version it saw. When the
 * version has moved on, it seeks from the root to the first key after (before, when reverse) that
 * key, so relative to the tree's state at each step it never skips or repeats a key.
 */
export class BTreeCursor implements TreeCursor {
  private readonly ids: number[] = []
  private readonly indexes: number[] = []
  /** Level of the leaf in `ids`, or -1 when the position ran off the end of the tree. */
  private leafLevel = -1
  private state = UNSTARTED
  private lastKey: Uint8Array | undefined
  private seenVersion = 0
  private readonly forward: boolean
  private readonly start: Uint8Array | undefined
  private readonly startInclusive: boolean
  private readonly end: Uint8Array | undefined
  private readonly endInclusive: boolean

  constructor(
    private readonly context: TreeContext,
    private readonly tree: CursorSource,
    range: KeyRange,
  ) {
    this.forward = range.reverse !== true
    const lower = tighterBound(range.gte, range.gt, 1)
    const upper = tighterBound(range.lte, range.lt, -1)
    const [start, end] = this.forward ? [lower, upper] : [upper, lower]
    this.start = start?.key
    this.startInclusive = start?.inclusive ?? true
    this.end = end?.key
    this.endInclusive = end?.inclusive ?? true
  }

  next(): [key: Uint8Array, value: Uint8Array] | undefined {
    if (this.state === DONE) return undefined
    if (this.state === UNSTARTED) {
      this.seek(this.start, this.startInclusive)
      this.state = POSITIONED
    } else if (this.tree.version !== this.seenVersion) {
      this.seek(this.lastKey, false)
    } else {
      this.step()
    }
    if (this.leafLevel < 0) return this.finish()
    const body = this.context.pager.read(this.ids[this.leafLevel]!).body
    const cellOffset = leafCellOffset(body, this.indexes[this.leafLevel]!)
    const keyStart = cellOffset + LEAF_CELL_KEY_OFFSET
    const keyLength = leafKeyLength(body, cellOffset)
    const end = this.end
    if (end !== undefined) {
      const c = compareKeyWithBytes(end, body, keyStart, keyLength)
      if (this.forward ? (this.endInclusive ? c < 0 : c <= 0) : this.endInclusive ? c > 0 : c >= 0) return this.finish()
    }
    const key = copyBytes(body, keyStart, keyLength)
    const value = readLeafValue(this.context, body, cellOffset)
    this.lastKey = key
    this.seenVersion = this.tree.version
    return [key, value]
  }

  private finish(): undefined {
    this.state = DONE
    this.leafLevel = -1
    return undefined
  }

  /**
   * Positions at the first entry > `key` (>= when `inclusive`), or for a reverse cursor the last
   * entry < `key` (<=); with no key, at the first (last) entry of the tree.
   */
  private seek(key: Uint8Array | undefined, inclusive: boolean): void {
    const { context, ids, indexes, forward } = this
    let pageId = this.tree.rootPageId
    this.leafLevel = -1
    if (pageId === 0) return
    for (let level = 0; level < MAX_TREE_DEPTH; level++) {
      const page = context.readNode(pageId)
      const body = page.body
      const count = cellCount(body)
      ids[level] = pageId
      if (page.type === LEAF_PAGE_TYPE) {
        let index: number
        if (forward) index = key === undefined ? 0 : leafSeek(body, key, inclusive)
        else index = key === undefined ? count - 1 : leafSeek(body, key, !inclusive) - 1
        indexes[level] = index
        this.leafLevel = level
        if (forward ? index >= count : index < 0) this.moveToNextLeaf()
        return
      }
      const childIndex = key === undefined ? (forward ? 0 : count) : branchChildIndex(body, key)
      indexes[level] = childIndex
      pageId = branchChildAt(body, childIndex)
    }
    throw context.corruption(pageId, `tree deeper than ${MAX_TREE_DEPTH} levels (a cycle?)`)
  }

  /** One entry on, in the cursor's direction; the tree is unchanged since the last step. */
  private step(): void {
    const level = this.leafLevel
    if (level < 0) return
    const index = this.forward ? ++this.indexes[level]! : --this.indexes[level]!
    if (this.forward ? index >= cellCount(this.context.pager.read(this.ids[level]!).body) : index < 0) {
      this.moveToNextLeaf()
    }
  }

  /** Moves to the first (last, when reverse) entry of the next leaf in the cursor's direction. */
  private moveToNextLeaf(): void {
    const { context, ids, indexes, forward } = this
    const pager = context.pager
    for (;;) {
      let level = this.leafLevel - 1
      while (level >= 0) {
        const index = indexes[level]!
        if (forward ? index < cellCount(pager.read(ids[level]!).body) : index > 0) break
        level--
      }
      if (level < 0) {
        this.leafLevel = -1
        return
      }
      indexes[level] = forward ? indexes[level]! + 1 : indexes[level]! - 1
      let pageId = branchChildAt(pager.read(ids[level]!).body, indexes[level]!)
      for (level++; ; level++) {
        if (level >= MAX_TREE_DEPTH) throw context.corruption(pageId, `tree deeper than ${MAX_TREE_DEPTH} levels`)
        const page = context.readNode(pageId)
        const count = cellCount(page.body)
        ids[level] = pageId
        if (page.type === LEAF_PAGE_TYPE) {
          indexes[level] = forward ? 0 : count - 1
          this.leafLevel = level
          break
        }
        indexes[level] = forward ? 0 : count
        pageId = branchChildAt(page.body, indexes[level]!)
      }
      // A leaf below the root is never empty; a damaged one is skipped rather than misread.
      if (cellCount(context.pager.read(ids[this.leafLevel]!).body) > 0) return
    }
  }
}

/** Of an inclusive and an exclusive bound on the same side, the tighter (`direction` 1: the larger). */
function tighterBound(
  inclusive: Uint8Array | undefined,
  exclusive: Uint8Array | undefined,
  direction: 1 | -1,
): { key: Uint8Array; inclusive: boolean } | undefined {
  if (exclusive === undefined) return inclusive === undefined ? undefined : { key: copyBytes(inclusive, 0, inclusive.length), inclusive: true }
  if (inclusive === undefined || compareKeys(exclusive, inclusive) * direction >= 0) {
    return { key: copyBytes(exclusive, 0, exclusive.length), inclusive: false }
  }
  return { key: copyBytes(inclusive, 0, inclusive.length), inclusive: true }
}
