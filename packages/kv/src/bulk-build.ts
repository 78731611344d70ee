import type { Pager } from '@tinydb/pager'
import { TinyDbError } from '@tinydb/vfs'
import { copyBytes, readU32 } from './bytes.js'
import { compareKeys, shortestSeparator } from './compare.js'
import { TreeContext } from './context.js'
import {
  BRANCH_CELL_CHILD_OFFSET,
  BRANCH_CELL_KEY_OFFSET,
  BRANCH_HEADER_SIZE,
  BRANCH_KIND,
  BRANCH_PAGE_TYPE,
  branchCellLength,
  branchCellOffset,
  branchCellSize,
  branchKeyLength,
  initBranch,
  writeBranchCell,
} from './branch-format.js'
import { LEAF_HEADER_SIZE, LEAF_KIND, LEAF_PAGE_TYPE, leafCellLength, leafCellSize, writeLeafCell } from './leaf-format.js'
import { treeLimits, type TreeLimits } from './limits.js'
import { writeOverflowChain } from './overflow.js'
import { cellAreaStart, cellCount, fitKeyHeadPrefix, initSlotted, insertCell, removeCell, slotSize, slotsEnd } from './slotted-format.js'

export interface TreeBuilderOptions {
  /** Named in errors; defaults to `btree`. */
  readonly file?: string
}

/** One branch level under construction: the page being filled lives in `body` until it is full. */
interface BranchLevel {
  readonly body: Uint8Array
  /** The separator that leads to this page in its parent; undefined for the level's first page. */
  lowerSeparator: Uint8Array | undefined
  /** False until the page has its leftmost child. */
  started: boolean
  /** Pages of this level already written out. */
  written: number
}

/**
 * Builds a B+tree bottom-up from entries in strictly ascending key order (compaction, backup,
 * restore): leaves are packed until the next entry does not fit, then each branch level likewise,
 * so the tree has close to the fewest pages the page formats allow, and no free pages.
 *
 * Every page is assembled in a scratch buffer and only allocated once complete (overflow chains are
 * complete when written too): an allocated page is never modified again. The caller may therefore
 * seal a checkpoint of the pager between two `add` calls (to bound the pages held in memory) without
 * breaking copy-on-write (invariant 6). The page formats are those of leaf-format.ts,
 * branch-format.ts and overflow-format.ts, so the result is an ordinary tree for `BTree`.
 */
export class TreeBuilder {
  private readonly context: TreeContext
  private readonly limits: TreeLimits
  private readonly leaf: Uint8Array
  private readonly levels: BranchLevel[] = []
  /** The separator that will lead to the leaf in `leaf` (undefined for the first leaf). */
  private leafSeparator: Uint8Array | undefined
  private previousKey: Uint8Array | undefined
  private count = 0
  private done = false

  constructor(pager: Pager, options: TreeBuilderOptions = {}) {
    this.context = new TreeContext(pager, options.file ?? 'btree')
    this.limits = treeLimits(pager.pageSize, this.context.keyHeads)
    this.leaf = new Uint8Array(this.context.bodySize)
    initSlotted(this.leaf, this.context.keyHeads)
  }

  /** Entries added so far. */
  get entries(): number {
    return this.count
  }

  /**
   * Adds the next entry. INVALID_ARGUMENT unless `key` is above every key added before; TOO_LARGE
   * beyond the tree's limits (as `BTree.put`). The builder keeps no reference to either buffer.
   */
  add(key: Uint8Array, value: Uint8Array): void {
    if (this.done) throw new TinyDbError('INVALID_ARGUMENT', 'the tree builder has finished')
    if (!(key instanceof Uint8Array)) throw new TinyDbError('INVALID_ARGUMENT', 'key must be a Uint8Array')
    if (!(value instanceof Uint8Array)) throw new TinyDbError('INVALID_ARGUMENT', 'value must be a Uint8Array')
    const { maxKeySize, maxValueSize } = this.limits
    if (key.length > maxKeySize) throw new TinyDbError('TOO_LARGE', `key of ${key.length} bytes exceeds the limit of ${maxKeySize} bytes`)
    if (value.length > maxValueSize) throw new TinyDbError('TOO_LARGE', `value of ${value.length} bytes exceeds the limit of ${maxValueSize} bytes`)
    const previous = this.previousKey
    if (previous !== undefined && compareKeys(previous, key) >= 0) {
      throw new TinyDbError('INVALID_ARGUMENT', `keys must be strictly ascending: entry ${this.count} is ${compareKeys(previous, key) === 0 ? 'a duplicate' : 'below the previous key'}`)
    }
    const { context, leaf } = this
    const overflow = leafCellLength(key.length, value.length, false) > context.maxCellSize
    const length = leafCellLength(key.length, value.length, overflow)
    if (previous !== undefined && !fits(leaf, LEAF_HEADER_SIZE, length)) {
      this.writeLeaf()
      this.leafSeparator = shortestSeparator(previous, 0, previous.length, key, 0, key.length)
    }
    const overflowPageId = overflow ? writeOverflowChain(context, value) : 0
    const offset = insertCell(leaf, LEAF_KIND, cellCount(leaf), length, key, 0, key.length, context.scratchA)
    writeLeafCell(leaf, offset, key, value.length, overflow ? undefined : value, overflowPageId)
    this.previousKey = key.slice()
    this.count++
  }

  /** Writes the pages still being filled and returns the root page id (0 when nothing was added). */
  finish(): number {
    if (this.done) throw new TinyDbError('INVALID_ARGUMENT', 'the tree builder has finished')
    this.done = true
    if (this.count === 0) return 0
    let child = this.writeLeaf()
    for (let level = 0; level < this.levels.length; level++) {
      const current = this.levels[level]!
      // A level whose only page has a single child is above the root: that child is the root.
      if (current.written === 0 && cellCount(current.body) === 0) return child
      child = this.writePage(BRANCH_PAGE_TYPE, current.body)
      current.written++
      this.addChild(level + 1, current.lowerSeparator, child)
    }
    return child
  }

  private writeLeaf(): number {
    const id = this.writePage(LEAF_PAGE_TYPE, this.leaf)
    initSlotted(this.leaf, this.context.keyHeads)
    this.addChild(0, this.leafSeparator, id)
    return id
  }

  /** Writes a finished page out (pages are filled in key order, so its key-head prefix is known now). */
  private writePage(type: number, body: Uint8Array): number {
    fitKeyHeadPrefix(body, type === LEAF_PAGE_TYPE ? LEAF_KIND : BRANCH_KIND)
    const page = this.context.pager.allocate(type)
    page.body.set(body)
    return page.id
  }

  /** Gives branch level `index` its next child; `separator` is undefined only for the very first. */
  private addChild(index: number, separator: Uint8Array | undefined, childPageId: number): void {
    let level = this.levels[index]
    if (level === undefined) {
      level = { body: new Uint8Array(this.context.bodySize), lowerSeparator: undefined, started: false, written: 0 }
      this.levels.push(level)
    }
    const body = level.body
    if (!level.started) {
      initBranch(body, childPageId, this.context.keyHeads)
      level.lowerSeparator = separator
      level.started = true
      return
    }
    if (separator === undefined) throw new Error('kv internal error: a branch child after the first needs a separator')
    const length = branchCellLength(separator.length)
    if (!fits(body, BRANCH_HEADER_SIZE, length)) {
      // The page is full. Its last cell moves to the next page along with the new one, so that the
      // next page never ends up with a single child (check() reports such a branch). A full page
      // holds at least four cells (limits.ts), so the page written keeps at least three.
      const last = cellCount(body) - 1
      const lastOffset = branchCellOffset(body, last)
      const movedSeparator = copyBytes(body, lastOffset + BRANCH_CELL_KEY_OFFSET, branchKeyLength(body, lastOffset))
      const movedChild = readU32(body, lastOffset + BRANCH_CELL_CHILD_OFFSET)
      removeCell(body, BRANCH_HEADER_SIZE, last, branchCellSize(body, lastOffset))
      const written = this.writePage(BRANCH_PAGE_TYPE, body)
      level.written++
      this.addChild(index + 1, level.lowerSeparator, written)
      initBranch(body, movedChild, this.context.keyHeads)
      level.lowerSeparator = movedSeparator
    }
    const offset = insertCell(body, BRANCH_KIND, cellCount(body), length, separator, 0, separator.length, this.context.scratchA)
    writeBranchCell(body, offset, separator, 0, separator.length, childPageId)
  }
}

/** Whether a cell of `length` bytes and its slot fit in the free gap (pages built here have no holes). */
function fits(body: Uint8Array, headerSize: number, length: number): boolean {
  return cellAreaStart(body) - slotsEnd(body, headerSize) >= length + slotSize(body)
}

/** Builds a tree from `entries` (strictly ascending keys) into `pager`; returns the root page id. */
export function buildTree(pager: Pager, entries: Iterable<readonly [Uint8Array, Uint8Array]>, options: TreeBuilderOptions = {}): number {
  const builder = new TreeBuilder(pager, options)
  for (const [key, value] of entries) builder.add(key, value)
  return builder.finish()
}
