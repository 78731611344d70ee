import { readU16, readU32 } from './bytes.js'
import { chooseBranchSplit, chooseLeafSplit } from './cell-list.js'
import type { TreeContext } from './context.js'
import {
  BRANCH_CELL_KEY_OFFSET,
  BRANCH_HEADER_SIZE,
  BRANCH_KIND,
  BRANCH_LEFTMOST_CHILD_OFFSET,
  BRANCH_PAGE_TYPE,
  branchCellLength,
  branchCellOffset,
  branchCellSize,
  branchChildAt,
  branchKeyLength,
  initBranch,
  setBranchChildAt,
  writeBranchCell,
} from './branch-format.js'
import { writablePageId } from './cow.js'
import { LEAF_HEADER_SIZE, LEAF_KIND, LEAF_PAGE_TYPE } from './leaf-format.js'
import { cellCount, initSlotted, insertCell, removeCell, slotAt, usedBytes, type SlottedKind } from './slotted-format.js'
import { leafSeparator, takeBranchCell, type SplitResult } from './split.js'

/**
 * A leaf or branch below the root is underfull when its slots and cells fill less than a quarter
 * of the page. Such a page merges with a sibling when the two fit in one page, and otherwise takes
 * cells from it until both are balanced; either way no page stays nearly empty and every non-root
 * page keeps at least one cell (so every subtree holds at least one key).
 */
export function isUnderfull(context: TreeContext, body: Uint8Array, type: number): boolean {
  const headerSize = type === BRANCH_PAGE_TYPE ? BRANCH_HEADER_SIZE : LEAF_HEADER_SIZE
  return usedBytes(body) * 4 < context.bodySize - headerSize
}

/** The parent's separator `separatorIndex` was taken out; insert `separator` → `rightPageId` there. */
export interface Redistribution extends SplitResult {
  readonly separatorIndex: number
}

/**
 * Fixes the underfull child `childIndex` of the writable branch `parentId` (which has at least one
 * separator). Returns undefined after a merge — the parent lost a separator and may now be
 * underfull itself — or, after a redistribution, the separator the caller must insert into the
 * parent (it may be longer than the old one, so inserting it may split the parent).
 */
export function rebalanceChild(context: TreeContext, parentId: number, childIndex: number): Redistribution | undefined {
  const parent = context.pager.read(parentId).body
  const separators = cellCount(parent)
  if (separators === 0) throw context.corruption(parentId, 'a branch with a single child has no sibling to rebalance with')
  if (childIndex > 0 && canMerge(context, parent, childIndex - 1)) {
    merge(context, parent, childIndex - 1)
    return undefined
  }
  if (childIndex < separators && canMerge(context, parent, childIndex)) {
    merge(context, parent, childIndex)
    return undefined
  }
  return redistribute(context, parent, childIndex > 0 ? childIndex - 1 : childIndex)
}

/** `parent` is writable, so its body outlives the reads of its children (see Page.body). */
function canMerge(context: TreeContext, parent: Uint8Array, leftIndex: number): boolean {
  const leftId = branchChildAt(parent, leftIndex)
  const rightId = branchChildAt(parent, leftIndex + 1)
  // What is needed of the left page is taken before reading the right one, which may reuse its buffer.
  const left = context.readNode(leftId)
  const leftType = left.type
  const leftUsed = usedBytes(left.body)
  const right = context.readNode(rightId)
  if (leftType !== right.type) throw context.corruption(rightId, `sibling pages ${leftId} and ${rightId} differ in type`)
  if (leftType === LEAF_PAGE_TYPE) return leftUsed + usedBytes(right.body) <= context.bodySize - LEAF_HEADER_SIZE
  const separatorLength = branchCellSize(parent, branchCellOffset(parent, leftIndex))
  return leftUsed + usedBytes(right.body) + separatorLength + context.slotSize <= context.bodySize - BRANCH_HEADER_SIZE
}

/**
 * Moves everything of child leftIndex + 1 into child leftIndex (for branches, with the parent's
 * separator pulled down between them) and frees the right page. Only the left page is modified,
 * so only it needs copy-on-write.
 */
function merge(context: TreeContext, parent: Uint8Array, leftIndex: number): void {
  const pager = context.pager
  const leftId = writablePageId(context, branchChildAt(parent, leftIndex))
  setBranchChildAt(parent, leftIndex, leftId)
  const rightId = branchChildAt(parent, leftIndex + 1)
  const left = pager.read(leftId)
  const right = pager.read(rightId).body
  const separatorOffset = branchCellOffset(parent, leftIndex)
  if (left.type === LEAF_PAGE_TYPE) {
    appendCells(left.body, right, LEAF_KIND, context.scratchA)
  } else {
    const keyLength = branchKeyLength(parent, separatorOffset)
    const length = branchCellLength(keyLength)
    const at = insertCell(left.body, BRANCH_KIND, cellCount(left.body), length, parent, separatorOffset + BRANCH_CELL_KEY_OFFSET, keyLength, context.scratchA)
    writeBranchCell(left.body, at, parent, separatorOffset + BRANCH_CELL_KEY_OFFSET, keyLength, branchChildAt(right, 0))
    appendCells(left.body, right, BRANCH_KIND, context.scratchA)
  }
  removeCell(parent, BRANCH_HEADER_SIZE, leftIndex, branchCellSize(parent, separatorOffset))
  pager.free(rightId)
}

/**
 * Rebalances children leftIndex and leftIndex + 1, which together do not fit in one page, by
 * laying their cells (and, for branches, the separator between them) out again across both.
 * Removes the old separator from the parent and returns the new one for the caller to insert.
 */
function redistribute(context: TreeContext, parent: Uint8Array, leftIndex: number): Redistribution {
  const { pager, scratchA, scratchB } = context
  const leftId = writablePageId(context, branchChildAt(parent, leftIndex))
  setBranchChildAt(parent, leftIndex, leftId)
  const rightId = writablePageId(context, branchChildAt(parent, leftIndex + 1))
  setBranchChildAt(parent, leftIndex + 1, rightId)
  const left = pager.read(leftId)
  const right = pager.read(rightId).body
  scratchA.set(left.body)
  scratchB.set(right)
  const separatorOffset = branchCellOffset(parent, leftIndex)
  const cells = context.cellsForRebuild()
  let separator: Uint8Array
  if (left.type === LEAF_PAGE_TYPE) {
    cells.pushPage(scratchA, LEAF_KIND)
    cells.pushPage(scratchB, LEAF_KIND)
    const k = chooseLeafSplit(cells, context.bodySize - LEAF_HEADER_SIZE, false)
    initSlotted(left.body, context.keyHeads)
    cells.fill(left.body, LEAF_KIND, 0, k)
    initSlotted(right, context.keyHeads)
    cells.fill(right, LEAF_KIND, k, cells.length)
    separator = leafSeparator(cells, k)
  } else {
    cells.pushPage(scratchA, BRANCH_KIND)
    const keyLength = branchKeyLength(parent, separatorOffset)
    writeBranchCell(
      context.cellScratch,
      0,
      parent,
      separatorOffset + BRANCH_CELL_KEY_OFFSET,
      keyLength,
      readU32(scratchB, BRANCH_LEFTMOST_CHILD_OFFSET),
    )
    cells.push(context.cellScratch, 0, branchCellLength(keyLength))
    cells.pushPage(scratchB, BRANCH_KIND)
    const m = chooseBranchSplit(cells, context.bodySize - BRANCH_HEADER_SIZE, false)
    const up = takeBranchCell(cells, m)
    initBranch(left.body, readU32(scratchA, BRANCH_LEFTMOST_CHILD_OFFSET), context.keyHeads)
    cells.fill(left.body, BRANCH_KIND, 0, m)
    initBranch(right, up.childPageId, context.keyHeads)
    cells.fill(right, BRANCH_KIND, m + 1, cells.length)
    separator = up.separator
  }
  removeCell(parent, BRANCH_HEADER_SIZE, leftIndex, branchCellSize(parent, separatorOffset))
  return { separatorIndex: leftIndex, separator, rightPageId: rightId }
}

/** Appends every cell of page `from`, in order, after the cells of page `to` (a merge into the left page). */
function appendCells(
  to: Uint8Array,
  from: Uint8Array,
  kind: SlottedKind,
  scratch: Uint8Array,
): void {
  const count = cellCount(from)
  for (let i = 0; i < count; i++) {
    const offset = slotAt(from, kind.headerSize, i)
    const length = kind.cellSizeOf(from, offset)
    const keyStart = offset + kind.cellKeyOffset
    const at = insertCell(to, kind, cellCount(to), length, from, keyStart, readU16(from, offset), scratch)
    to.set(from.subarray(offset, offset + length), at)
  }
}
