import { BRANCH_PAGE_TYPE, branchChildAt, branchChildIndex } from './branch-format.js'
import { MAX_TREE_DEPTH, type TreeContext } from './context.js'
import { leafCellOffset, leafFind } from './leaf-format.js'
import { readLeafValue } from './overflow.js'

/** The body of the leaf under `rootPageId` whose key range holds `key`, or undefined for the empty tree. */
export function findLeaf(context: TreeContext, rootPageId: number, key: Uint8Array): Uint8Array | undefined {
  let pageId = rootPageId
  if (pageId === 0) return undefined
  for (let depth = 0; depth < MAX_TREE_DEPTH; depth++) {
    const page = context.readNode(pageId)
    if (page.type !== BRANCH_PAGE_TYPE) return page.body
    pageId = branchChildAt(page.body, branchChildIndex(page.body, key))
  }
  throw context.corruption(pageId, `tree deeper than ${MAX_TREE_DEPTH} levels (a cycle?)`)
}

/** A copy of the value stored under `key` in the tree at `rootPageId`, or undefined. */
export function lookupValue(context: TreeContext, rootPageId: number, key: Uint8Array): Uint8Array | undefined {
  const leaf = findLeaf(context, rootPageId, key)
  if (leaf === undefined) return undefined
  const index = leafFind(leaf, key)
  return index < 0 ? undefined : readLeafValue(context, leaf, leafCellOffset(leaf, index))
}

export function containsKey(context: TreeContext, rootPageId: number, key: Uint8Array): boolean {
  const leaf = findLeaf(context, rootPageId, key)
  return leaf !== undefined && leafFind(leaf, key) >= 0
}
