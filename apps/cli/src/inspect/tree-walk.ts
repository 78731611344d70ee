import { readDecodedPage } from './page-reader.js'
import type { LiveCheckpoint } from './page-reader.js'
import type { ReadOnlyStore } from '../read-only-store.js'

export interface LevelCount {
  readonly level: number
  branchPages: number
  leafPages: number
}

export interface TreeShape {
  readonly rootPageId: number
  readonly pageCount: number
  readonly pageSize: number
  depth: number
  keys: number
  readonly levels: LevelCount[]
  /** Pages (leaves and branches) per tenth of fill: used bytes over the bytes the page can hold. */
  readonly fillHistogram: number[]
  overflowPages: number
  overflowChains: number
  readonly freePages: number
  readonly freeListPages: number
  /** Pages below the page count that nothing above accounts for (a leak); 0 in a healthy store. */
  unaccountedPages: number
  readonly problems: string[]
}

/**
 * Walks the live tree breadth-first from its root, level by level, following every overflow chain,
 * and accounts for every page of the file: meta, tree, overflow, free-list and free pages. Damage is
 * collected in `problems` (the walk skips what it cannot read) rather than thrown.
 */
export async function walkTree(store: ReadOnlyStore, live: LiveCheckpoint): Promise<TreeShape> {
  const { meta, pageSize, freeList } = live
  const shape: TreeShape = {
    rootPageId: meta.rootPageId,
    pageCount: meta.pageCount,
    pageSize,
    depth: 0,
    keys: 0,
    levels: [],
    fillHistogram: new Array<number>(10).fill(0),
    overflowPages: 0,
    overflowChains: 0,
    freePages: freeList.freePageIds.length,
    freeListPages: freeList.chainPageIds.length,
    unaccountedPages: 0,
    problems: freeList.problem === undefined ? [] : [`free list: ${freeList.problem}`],
  }
  const seen = new Set<number>([0, 1, ...freeList.freePageIds, ...freeList.chainPageIds])
  const claim = (pageId: number, from: string): boolean => {
    if (pageId < 2 || pageId >= meta.pageCount) shape.problems.push(`${from} points to page ${pageId}, outside [2, ${meta.pageCount})`)
    else if (seen.has(pageId)) shape.problems.push(`${from} points to page ${pageId}, which is already in use or free`)
    else {
      seen.add(pageId)
      return true
    }
    return false
  }
  let level: number[] = meta.rootPageId === 0 ? [] : claim(meta.rootPageId, 'the meta page') ? [meta.rootPageId] : []
  while (level.length > 0) {
    const counts: LevelCount = { level: shape.levels.length, branchPages: 0, leafPages: 0 }
    shape.levels.push(counts)
    const next: number[] = []
    for (const pageId of level) {
      const page = await readDecodedPage(store, pageId, live)
      if (!page.raw.checksumOk) shape.problems.push(`page ${pageId}: checksum mismatch`)
      const tree = page.tree
      if (tree === undefined || (tree.kind !== 'leaf' && tree.kind !== 'branch')) {
        shape.problems.push(`page ${pageId}: type ${page.raw.type} (${page.typeName}) where a tree page belongs`)
        continue
      }
      if (tree.problem !== undefined) shape.problems.push(`page ${pageId}: ${tree.problem}`)
      shape.fillHistogram[Math.min(9, Math.floor((10 * tree.space.usedBytes) / tree.space.usableBytes))]! += 1
      if (tree.kind === 'branch') {
        counts.branchPages++
        for (const child of tree.children) if (claim(child, `branch page ${pageId}`)) next.push(child)
        continue
      }
      counts.leafPages++
      shape.keys += tree.cells.length
      for (const cell of tree.cells) {
        if (cell.overflowPageId === undefined) continue
        shape.overflowChains++
        for (let id = cell.overflowPageId, from = `leaf page ${pageId}`; id !== 0 && claim(id, from); ) {
          shape.overflowPages++
          const chunk = await readDecodedPage(store, id, live)
          if (chunk.tree?.kind !== 'overflow') {
            shape.problems.push(`page ${id}: type ${chunk.raw.type} (${chunk.typeName}) where an overflow page belongs`)
            break
          }
          from = `overflow page ${id}`
          id = chunk.tree.nextPageId
        }
      }
    }
    level = next
  }
  shape.depth = shape.levels.length
  shape.unaccountedPages = Math.max(0, meta.pageCount - seen.size)
  return shape
}
