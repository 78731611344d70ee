import { copyBytes, readU32 } from './bytes.js'
import { chooseBranchSplit, chooseLeafSplit, type CellList } from './cell-list.js'
import { shortestSeparator } from './compare.js'
import type { TreeContext } from './context.js'
import {
  BRANCH_CELL_CHILD_OFFSET,
  BRANCH_CELL_KEY_OFFSET,
  BRANCH_HEADER_SIZE,
  BRANCH_KIND,
  BRANCH_LEFTMOST_CHILD_OFFSET,
  BRANCH_PAGE_TYPE,
  branchCellLength,
  branchKeyLength,
  initBranch,
  writeBranchCell,
} from './branch-format.js'
import { LEAF_CELL_KEY_OFFSET, LEAF_HEADER_SIZE, LEAF_KIND, LEAF_PAGE_TYPE, leafKeyLength } from './leaf-format.js'
import { initSlotted, insertCell, type SlottedKind } from './slotted-format.js'

/** A page split in two: the parent must gain `separator` with `rightPageId` as its right child. */
export interface SplitResult {
  readonly separator: Uint8Array
  readonly rightPageId: number
}

/**
 * Splits the writable leaf `pageId`, which cannot hold the new cell of `newCellLength` bytes
 * waiting in `context.cellScratch`, at slot `index`. The leaf keeps the lower half, a new leaf
 * takes the upper half.
 */
export function splitLeaf(
  context: TreeContext,
  pageId: number,
  index: number,
  newCellLength: number,
  appendBias: boolean,
): SplitResult {
  const { pager } = context
  const body = pager.read(pageId).body
  const cells = cellsWithNewCell(context, body, LEAF_KIND, index, newCellLength)
  const k = chooseLeafSplit(cells, context.bodySize - LEAF_HEADER_SIZE, appendBias)
  const right = pager.allocate(LEAF_PAGE_TYPE)
  initSlotted(body, context.keyHeads)
  cells.fill(body, LEAF_KIND, 0, k)
  initSlotted(right.body, context.keyHeads)
  cells.fill(right.body, LEAF_KIND, k, cells.length)
  return { separator: leafSeparator(cells, k), rightPageId: right.id }
}

/**
 * Splits the writable branch `pageId`, which cannot hold the new separator cell of
 * `newCellLength` bytes waiting in `context.cellScratch`, at slot `index`. One separator moves up:
 * its child becomes the new right page's leftmost child.
 */
export function splitBranch(
  context: TreeContext,
  pageId: number,
  index: number,
  newCellLength: number,
  appendBias: boolean,
): SplitResult {
  const { pager, scratchA } = context
  const body = pager.read(pageId).body
  const cells = cellsWithNewCell(context, body, BRANCH_KIND, index, newCellLength)
  const m = chooseBranchSplit(cells, context.bodySize - BRANCH_HEADER_SIZE, appendBias)
  const up = takeBranchCell(cells, m)
  const right = pager.allocate(BRANCH_PAGE_TYPE)
  initBranch(body, readU32(scratchA, BRANCH_LEFTMOST_CHILD_OFFSET), context.keyHeads)
  cells.fill(body, BRANCH_KIND, 0, m)
  initBranch(right.body, up.childPageId, context.keyHeads)
  cells.fill(right.body, BRANCH_KIND, m + 1, cells.length)
  return { separator: up.separator, rightPageId: right.id }
}

/** A new root over the two halves of the old root. */
export function growRoot(context: TreeContext, leftPageId: number, split: SplitResult): number {
  const root = context.pager.allocate(BRANCH_PAGE_TYPE)
  initBranch(root.body, leftPageId, context.keyHeads)
  const { separator } = split
  const offset = insertCell(root.body, BRANCH_KIND, 0, branchCellLength(separator.length), separator, 0, separator.length, context.scratchA)
  writeBranchCell(root.body, offset, split.separator, 0, split.separator.length, split.rightPageId)
  return root.id
}

/** The separator between leaf cells k - 1 and k: as short as the two keys allow. */
export function leafSeparator(cells: CellList, k: number): Uint8Array {
  const leftSource = cells.sources[k - 1]!
  const leftOffset = cells.offsets[k - 1]!
  const rightSource = cells.sources[k]!
  const rightOffset = cells.offsets[k]!
  return shortestSeparator(
    leftSource,
    leftOffset + LEAF_CELL_KEY_OFFSET,
    leafKeyLength(leftSource, leftOffset),
    rightSource,
    rightOffset + LEAF_CELL_KEY_OFFSET,
    leafKeyLength(rightSource, rightOffset),
  )
}

/** The key (copied) and child of branch cell `m` of the list. */
export function takeBranchCell(cells: CellList, m: number): { separator: Uint8Array; childPageId: number } {
  const source = cells.sources[m]!
  const offset = cells.offsets[m]!
  const keyStart = offset + BRANCH_CELL_KEY_OFFSET
  const separator = copyBytes(source, keyStart, branchKeyLength(source, offset))
  return { separator, childPageId: readU32(source, offset + BRANCH_CELL_CHILD_OFFSET) }
}

/**
 * The cells of a full page, in order, with the new cell waiting in `context.cellScratch` inserted at
 * slot `index`. The page is first copied to `context.scratchA`, because the split rewrites `body`
 * while the list still points into the old cells.
 */
function cellsWithNewCell(
  context: TreeContext,
  body: Uint8Array,
  kind: SlottedKind,
  index: number,
  newCellLength: number,
): CellList {
  const { scratchA } = context
  scratchA.set(body)
  const cells = context.cellsForRebuild()
  cells.pushPage(scratchA, kind, 0, index)
  cells.push(context.cellScratch, 0, newCellLength)
  cells.pushPage(scratchA, kind, index)
  return cells
}
