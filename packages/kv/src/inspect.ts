import { BRANCH_HEADER_SIZE, BRANCH_CELL_KEY_OFFSET, BRANCH_PAGE_TYPE, branchCellOffset, branchChildAt, branchKeyLength, validateBranch } from './branch-format.js'
import {
  LEAF_CELL_KEY_OFFSET,
  LEAF_HEADER_SIZE,
  LEAF_PAGE_TYPE,
  leafCellOffset,
  leafCellSize,
  leafIsOverflow,
  leafKeyLength,
  leafOverflowPageId,
  leafValueLength,
  leafValueStart,
  validateLeaf,
} from './leaf-format.js'
import { OVERFLOW_DATA_OFFSET, OVERFLOW_PAGE_TYPE, overflowCapacity, overflowChunkLength, overflowNextPage } from './overflow-format.js'
import {
  cellAreaStart,
  cellCount,
  fragmentedBytes,
  hasKeyHeads,
  keyHeadAt,
  keyHeadPrefix,
  keyHeadsStart,
  slotSize,
  slotsEnd,
  slottedHeaderProblem,
} from './slotted-format.js'

/**
 * Decodes the body of one tree page (the bytes after the pager's page header) for `tinydb inspect`
 * and for learners. Pure and total: it never throws, whatever the bytes — a page whose header is
 * implausible is returned with its `problem` and no cells, because inspecting damage is the point.
 * See FORMAT.md for the layouts.
 */

/** Page types the tree writes (the pager owns types below 16). */
export const TREE_PAGE_TYPES = { leaf: LEAF_PAGE_TYPE, branch: BRANCH_PAGE_TYPE, overflow: OVERFLOW_PAGE_TYPE } as const

export interface SlottedSpace {
  /** Whether the slots carry key heads besides the cell offsets (FORMAT.md, "Slotted layout"). */
  readonly keyHeads: boolean
  /** Leading bytes all keys of a key-head page share, which its heads skip (0 otherwise). */
  readonly keyHeadPrefix: number
  readonly cellCount: number
  /** Bytes before the slot array (the page kind's header). */
  readonly headerSize: number
  /** Body offset where the slots end: the offsets, then (key-head layout) the heads. */
  readonly slotsEnd: number
  /** Lowest body offset used by a cell. */
  readonly cellAreaStart: number
  /** Contiguous free bytes between the slot array and the cell area. */
  readonly freeBytes: number
  /** Holes inside the cell area left by deleted cells (reclaimed by compaction). */
  readonly fragmentedBytes: number
  /** Bytes taken by slots and live cells, over the bytes a page of this kind can hold. */
  readonly usedBytes: number
  readonly usableBytes: number
}

export interface LeafCellInspection {
  readonly slot: number
  /** Body offset of the cell. */
  readonly offset: number
  /** The slot's key head as stored (key-head layout only): the four key bytes after the page's prefix, big-endian. */
  readonly head?: number
  readonly key: Uint8Array
  readonly valueLength: number
  /** The value when it is stored in the cell; absent when it lives in an overflow chain. */
  readonly value?: Uint8Array
  readonly overflowPageId?: number
}

export interface BranchCellInspection {
  readonly slot: number
  readonly offset: number
  /** As for a leaf cell. */
  readonly head?: number
  readonly key: Uint8Array
  /** The child holding keys >= this separator (and below the next one). */
  readonly childPageId: number
}

export type TreePageInspection =
  | { readonly kind: 'leaf'; readonly space: SlottedSpace; readonly cells: readonly LeafCellInspection[]; readonly problem?: string }
  | {
      readonly kind: 'branch'
      readonly space: SlottedSpace
      /** Child for keys below the first separator. */
      readonly leftmostChildPageId: number
      readonly cells: readonly BranchCellInspection[]
      /** All children in key order: the leftmost, then one per cell. */
      readonly children: readonly number[]
      readonly problem?: string
    }
  | { readonly kind: 'overflow'; readonly nextPageId: number; readonly chunkLength: number; readonly capacity: number; readonly problem?: string }
  | { readonly kind: 'unknown'; readonly type: number }

export function inspectTreePage(type: number, body: Uint8Array): TreePageInspection {
  if (type === LEAF_PAGE_TYPE) return inspectLeaf(body)
  if (type === BRANCH_PAGE_TYPE) return inspectBranch(body)
  if (type === OVERFLOW_PAGE_TYPE) {
    const chunkLength = overflowChunkLength(body)
    const capacity = overflowCapacity(body.length)
    const problem = chunkLength > capacity ? `chunk length ${chunkLength} exceeds the page's capacity ${capacity}` : undefined
    return { kind: 'overflow', nextPageId: overflowNextPage(body), chunkLength, capacity, ...(problem === undefined ? {} : { problem }) }
  }
  return { kind: 'unknown', type }
}

/** Bytes of an overflow page's chunk (empty when the header is implausible). */
export function overflowChunk(body: Uint8Array): Uint8Array {
  const length = overflowChunkLength(body)
  return length > overflowCapacity(body.length) ? new Uint8Array(0) : body.subarray(OVERFLOW_DATA_OFFSET, OVERFLOW_DATA_OFFSET + length)
}

function space(body: Uint8Array, headerSize: number): SlottedSpace {
  const count = cellCount(body)
  const areaStart = cellAreaStart(body)
  const fragmented = fragmentedBytes(body)
  const size = slotSize(body)
  const end = slotsEnd(body, headerSize)
  return {
    keyHeads: hasKeyHeads(body),
    keyHeadPrefix: keyHeadPrefix(body),
    cellCount: count,
    headerSize,
    slotsEnd: end,
    cellAreaStart: areaStart,
    freeBytes: Math.max(0, areaStart - end),
    fragmentedBytes: fragmented,
    usedBytes: count * size + Math.max(0, body.length - areaStart - fragmented),
    usableBytes: body.length - headerSize,
  }
}

/** The stored head of each slot, as a field to spread into its cell (none in the offsets layout). */
function storedHeads(body: Uint8Array, headerSize: number): (slot: number) => { head?: number } {
  if (!hasKeyHeads(body)) return () => ({})
  const headsStart = keyHeadsStart(body, headerSize)
  return (slot) => ({ head: keyHeadAt(body, headsStart, slot) })
}

function inspectLeaf(body: Uint8Array): TreePageInspection {
  const headerProblem = slottedHeaderProblem(body, LEAF_HEADER_SIZE)
  if (headerProblem !== undefined) return { kind: 'leaf', space: space(body, LEAF_HEADER_SIZE), cells: [], problem: headerProblem }
  const cells: LeafCellInspection[] = []
  const count = cellCount(body)
  const headOf = storedHeads(body, LEAF_HEADER_SIZE)
  for (let slot = 0; slot < count; slot++) {
    const offset = leafCellOffset(body, slot)
    if (offset + LEAF_CELL_KEY_OFFSET > body.length || offset + leafCellSize(body, offset) > body.length) break
    const keyStart = offset + LEAF_CELL_KEY_OFFSET
    const key = body.slice(keyStart, keyStart + leafKeyLength(body, offset))
    const valueLength = leafValueLength(body, offset)
    const head = headOf(slot)
    if (leafIsOverflow(body, offset)) cells.push({ slot, offset, ...head, key, valueLength, overflowPageId: leafOverflowPageId(body, offset) })
    else {
      const valueStart = leafValueStart(body, offset)
      cells.push({ slot, offset, ...head, key, valueLength, value: body.slice(valueStart, valueStart + valueLength) })
    }
  }
  const problem = validateLeaf(body)
  return { kind: 'leaf', space: space(body, LEAF_HEADER_SIZE), cells, ...(problem === undefined ? {} : { problem }) }
}

function inspectBranch(body: Uint8Array): TreePageInspection {
  const leftmostChildPageId = branchChildAt(body, 0)
  const headerProblem = slottedHeaderProblem(body, BRANCH_HEADER_SIZE)
  if (headerProblem !== undefined) {
    return { kind: 'branch', space: space(body, BRANCH_HEADER_SIZE), leftmostChildPageId, cells: [], children: [leftmostChildPageId], problem: headerProblem }
  }
  const cells: BranchCellInspection[] = []
  const count = cellCount(body)
  const headOf = storedHeads(body, BRANCH_HEADER_SIZE)
  for (let slot = 0; slot < count; slot++) {
    const offset = branchCellOffset(body, slot)
    const keyStart = offset + BRANCH_CELL_KEY_OFFSET
    if (keyStart > body.length || keyStart + branchKeyLength(body, offset) > body.length) break
    const key = body.slice(keyStart, keyStart + branchKeyLength(body, offset))
    cells.push({ slot, offset, ...headOf(slot), key, childPageId: branchChildAt(body, slot + 1) })
  }
  const problem = validateBranch(body)
  const children = [leftmostChildPageId, ...cells.map((cell) => cell.childPageId)]
  return { kind: 'branch', space: space(body, BRANCH_HEADER_SIZE), leftmostChildPageId, cells, children, ...(problem === undefined ? {} : { problem }) }
}
