import type { TreeContext } from './context.js'
import { MAX_TREE_DEPTH } from './context.js'
import { BRANCH_PAGE_TYPE, branchChildAt } from './branch-format.js'
import { leafCellOffset, leafIsOverflow, leafValueLength } from './leaf-format.js'
import { overflowPageCount } from './overflow-format.js'
import { cellCount } from './slotted-format.js'

export interface TreeStats {
  /** Levels from the root to the leaves: 0 for the empty tree. */
  readonly depth: number
  readonly leafPages: number
  readonly branchPages: number
  readonly overflowPages: number
  readonly keyCount?: number
}

/**
 * Counts pages by kind, walking branches and leaves (overflow chains are counted from the value
 * lengths in the leaves, without reading them). Throws CORRUPTION on a damaged page; `check` is the
 * tool that reports instead.
 */
export function treeStats(context: TreeContext, rootPageId: number): TreeStats {
  const totals = { depth: 0, leafPages: 0, branchPages: 0, overflowPages: 0, keyCount: 0 }
  if (rootPageId !== 0) countSubtree(context, rootPageId, 1, totals)
  return totals
}

/**
 * Levels from the root to the leaves, reading one page per level (the leftmost path): every leaf
 * is at the same depth, so this is the tree's depth without the full walk of `treeStats`.
 */
export function treeDepth(context: TreeContext, rootPageId: number): number {
  let depth = 0
  for (let pageId = rootPageId; pageId !== 0; ) {
    if (++depth > MAX_TREE_DEPTH) throw context.corruption(pageId, `tree deeper than ${MAX_TREE_DEPTH} levels`)
    const page = context.readNode(pageId)
    pageId = page.type === BRANCH_PAGE_TYPE ? branchChildAt(page.body, 0) : 0
  }
  return depth
}

interface Totals {
  depth: number
  leafPages: number
  branchPages: number
  overflowPages: number
  keyCount: number
}

function countSubtree(context: TreeContext, pageId: number, depth: number, totals: Totals): void {
  if (depth > MAX_TREE_DEPTH) throw context.corruption(pageId, `tree deeper than ${MAX_TREE_DEPTH} levels`)
  const page = context.readNode(pageId)
  const body = page.body
  const count = cellCount(body)
  if (depth > totals.depth) totals.depth = depth
  if (page.type === BRANCH_PAGE_TYPE) {
    totals.branchPages++
    const children: number[] = []
    for (let i = 0; i <= count; i++) children.push(branchChildAt(body, i))
    for (const child of children) countSubtree(context, child, depth + 1, totals)
    return
  }
  totals.leafPages++
  totals.keyCount += count
  for (let i = 0; i < count; i++) {
    const offset = leafCellOffset(body, i)
    if (leafIsOverflow(body, offset)) totals.overflowPages += overflowPageCount(leafValueLength(body, offset), context.bodySize)
  }
}
