import type { TreeContext } from './context.js'
import { MAX_TREE_DEPTH } from './context.js'
import {
  BRANCH_HEADER_SIZE,
  BRANCH_KIND,
  BRANCH_PAGE_TYPE,
  branchCellLength,
  branchCellSize,
  branchChildAt,
  branchChildIndex,
  setBranchChildAt,
  writeBranchCell,
} from './branch-format.js'
import { writablePageId } from './cow.js'
import {
  LEAF_HEADER_SIZE,
  LEAF_KIND,
  LEAF_PAGE_TYPE,
  leafCellLength,
  leafCellOffset,
  leafCellSize,
  leafFind,
  leafIsOverflow,
  leafOverflowPageId,
  leafValueLength,
  writeLeafCell,
} from './leaf-format.js'
import { isUnderfull, rebalanceChild } from './merge.js'
import { freeOverflowChain, writeOverflowChain } from './overflow.js'
import { cellCount, initSlotted, insertCell, removeCell } from './slotted-format.js'
import { growRoot, splitBranch, splitLeaf, type SplitResult } from './split.js'

/**
 * Insert and delete. Each runs synchronously to completion, so no reader ever sees a half-done
 * split or merge. The descent records the path (page id and child index per level); before the
 * first change the whole path is made writable top-down (cow.ts), after which every page on it is
 * modified in place and splits travel up, and underfull pages are rebalanced up, along that path.
 */
export class TreeWriter {
  /** The root page id; 0 for an empty tree. Changes with copy-on-write, root splits and collapses. */
  root: number
  private readonly pathIds: number[] = []
  private readonly pathIndexes: number[] = []
  /** The last descent went to the last child at every level: the insert point is the tree's end. */
  private rightmost = false

  constructor(
    private readonly context: TreeContext,
    rootPageId: number,
  ) {
    this.root = rootPageId
  }

  put(key: Uint8Array, value: Uint8Array): void {
    const { context } = this
    const { pager } = context
    const overflow = leafCellLength(key.length, value.length, false) > context.maxCellSize
    const cellLength = leafCellLength(key.length, value.length, overflow)
    if (this.root === 0) {
      const overflowPageId = overflow ? writeOverflowChain(context, value) : 0
      const leaf = pager.allocate(LEAF_PAGE_TYPE)
      initSlotted(leaf.body, context.keyHeads)
      const offset = insertCell(leaf.body, LEAF_KIND, 0, cellLength, key, 0, key.length, context.scratchA)
      writeLeafCell(leaf.body, offset, key, value.length, overflow ? undefined : value, overflowPageId)
      this.root = leaf.id
      return
    }
    const leafLevel = this.descend(key)
    const found = leafFind(pager.read(this.pathIds[leafLevel]!).body, key)
    const overflowPageId = overflow ? writeOverflowChain(context, value) : 0
    this.makePathWritable(leafLevel)
    const leafId = this.pathIds[leafLevel]!
    const body = pager.read(leafId).body
    let index = -(found + 1)
    let oldChain = 0
    let oldChainLength = 0
    if (found >= 0) {
      index = found
      const cellOffset = leafCellOffset(body, found)
      if (leafIsOverflow(body, cellOffset)) {
        oldChain = leafOverflowPageId(body, cellOffset)
        oldChainLength = leafValueLength(body, cellOffset)
      }
      const oldCellLength = leafCellSize(body, cellOffset)
      if (oldCellLength === cellLength) {
        // Same-size overwrite (the common update): rewrite the cell where it is.
        writeLeafCell(body, cellOffset, key, value.length, overflow ? undefined : value, overflowPageId)
        if (oldChain !== 0) freeOverflowChain(context, oldChain, oldChainLength)
        return
      }
      removeCell(body, LEAF_HEADER_SIZE, found, oldCellLength)
    }
    const offset = insertCell(body, LEAF_KIND, index, cellLength, key, 0, key.length, context.scratchA)
    if (offset >= 0) {
      writeLeafCell(body, offset, key, value.length, overflow ? undefined : value, overflowPageId)
      // A replacement can shrink the entry (a large inline value becoming an overflow reference).
      if (found >= 0) this.rebalanceFrom(leafLevel)
    } else {
      writeLeafCell(context.cellScratch, 0, key, value.length, overflow ? undefined : value, overflowPageId)
      const appendBias = this.rightmost && found < 0 && index === cellCount(body)
      const split = splitLeaf(context, leafId, index, cellLength, appendBias)
      this.insertSeparator(leafLevel - 1, leafLevel > 0 ? this.pathIndexes[leafLevel - 1]! : 0, split, appendBias)
    }
    // Freed last: if the old chain turns out to be damaged, the tree is already consistent.
    if (oldChain !== 0) freeOverflowChain(context, oldChain, oldChainLength)
  }

  /** Returns whether the key existed. A missing key changes nothing (no copy-on-write either). */
  del(key: Uint8Array): boolean {
    if (this.root === 0) return false
    const { context } = this
    const { pager } = context
    const leafLevel = this.descend(key)
    const found = leafFind(pager.read(this.pathIds[leafLevel]!).body, key)
    if (found < 0) return false
    this.makePathWritable(leafLevel)
    const body = pager.read(this.pathIds[leafLevel]!).body
    const cellOffset = leafCellOffset(body, found)
    const overflow = leafIsOverflow(body, cellOffset)
    const oldChain = overflow ? leafOverflowPageId(body, cellOffset) : 0
    const oldChainLength = leafValueLength(body, cellOffset)
    removeCell(body, LEAF_HEADER_SIZE, found, leafCellSize(body, cellOffset))
    this.rebalanceFrom(leafLevel)
    if (oldChain !== 0) freeOverflowChain(context, oldChain, oldChainLength)
    return true
  }

  /** Records the path to the leaf that holds (or would hold) `key`; returns the leaf's level. */
  private descend(key: Uint8Array): number {
    const { context, pathIds, pathIndexes } = this
    let pageId = this.root
    let rightmost = true
    for (let level = 0; level < MAX_TREE_DEPTH; level++) {
      const page = context.readNode(pageId)
      pathIds[level] = pageId
      if (page.type === LEAF_PAGE_TYPE) {
        this.rightmost = rightmost
        return level
      }
      const childIndex = branchChildIndex(page.body, key)
      pathIndexes[level] = childIndex
      if (childIndex !== cellCount(page.body)) rightmost = false
      pageId = branchChildAt(page.body, childIndex)
    }
    throw context.corruption(pageId, `tree deeper than ${MAX_TREE_DEPTH} levels (a cycle?)`)
  }

  /** Copy-on-write for every page of the recorded path, root first, re-pointing each parent. */
  private makePathWritable(leafLevel: number): void {
    const { context, pathIds, pathIndexes } = this
    for (let level = 0; level <= leafLevel; level++) {
      const pageId = pathIds[level]!
      const writableId = writablePageId(context, pageId)
      if (writableId === pageId) continue
      pathIds[level] = writableId
      if (level === 0) this.root = writableId
      else setBranchChildAt(context.pager.read(pathIds[level - 1]!).body, pathIndexes[level - 1]!, writableId)
    }
  }

  /**
   * Inserts a separator into the branch at `level`, at separator index `index`, splitting that
   * branch (and so on upwards) when it is full; a split of the root grows the tree by a level.
   */
  private insertSeparator(level: number, index: number, split: SplitResult, appendBias: boolean): void {
    const { context, pathIds, pathIndexes } = this
    let pending = split
    let separatorIndex = index
    for (let l = level; l >= 0; l--) {
      const branchId = pathIds[l]!
      const body = context.pager.read(branchId).body
      const { separator, rightPageId } = pending
      const cellLength = branchCellLength(separator.length)
      const offset = insertCell(body, BRANCH_KIND, separatorIndex, cellLength, separator, 0, separator.length, context.scratchA)
      if (offset >= 0) {
        writeBranchCell(body, offset, separator, 0, separator.length, rightPageId)
        return
      }
      writeBranchCell(context.cellScratch, 0, separator, 0, separator.length, rightPageId)
      const bias = appendBias && separatorIndex === cellCount(body)
      pending = splitBranch(context, branchId, separatorIndex, cellLength, bias)
      if (l > 0) separatorIndex = pathIndexes[l - 1]!
    }
    this.root = growRoot(context, pathIds[0]!, pending)
  }

  /**
   * After a page on the path shrank: rebalance it with a sibling while it is underfull, moving up
   * as merges take separators out of parents; finally collapse a root left with a single child
   * (or an empty root leaf: the empty tree has root 0).
   */
  private rebalanceFrom(level: number): void {
    const { context, pathIds, pathIndexes } = this
    for (let l = level; l > 0; l--) {
      const page = context.pager.read(pathIds[l]!)
      if (!isUnderfull(context, page.body, page.type)) return
      const redistribution = rebalanceChild(context, pathIds[l - 1]!, pathIndexes[l - 1]!)
      if (redistribution !== undefined) {
        this.insertSeparator(l - 1, redistribution.separatorIndex, redistribution, false)
        return
      }
    }
    this.collapseRoot()
  }

  private collapseRoot(): void {
    const { pager } = this.context
    for (;;) {
      const root = pager.read(this.root)
      if (cellCount(root.body) > 0) return
      const onlyChild = root.type === BRANCH_PAGE_TYPE ? branchChildAt(root.body, 0) : 0
      pager.free(this.root)
      this.root = onlyChild
      if (onlyChild === 0) return
    }
  }
}
