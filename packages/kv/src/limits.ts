import { OVERFLOW_REFERENCE_SIZE, LEAF_CELL_KEY_OFFSET } from './leaf-format.js'
import { BRANCH_HEADER_SIZE } from './branch-format.js'
import { SLOT_SIZE } from './slotted-format.js'

export interface TreeLimits {
  readonly maxKeySize: number
  readonly maxValueSize: number
}

/** Values are read and written whole; 64 MiB keeps a single value far from memory trouble. */
export const MAX_VALUE_SIZE = 64 * 1024 * 1024

/**
 * Limits are a function of the page size alone (the engine documents them before a pager exists),
 * so they assume the pager's page header takes at most this many bytes; the tree refuses a pager
 * whose `bodySize` is smaller than `pageSize - PAGER_HEADER_ALLOWANCE`.
 */
export const PAGER_HEADER_ALLOWANCE = 64

/**
 * The largest cell (slot excluded) a leaf or branch page may hold: small enough that four of them
 * fit in one page. That is what makes a split always produce two pages that fit, and keeps a
 * branch's fan-out at least 4 however long the keys are.
 */
export function maxCellSize(bodySize: number): number {
  return Math.floor((bodySize - BRANCH_HEADER_SIZE) / 4) - SLOT_SIZE
}

export function treeLimits(pageSize: number): TreeLimits {
  // The binding cell is a leaf entry whose value went to an overflow chain: header, key, page id.
  // (A separator cell for the same key is smaller.)
  const maxKeySize = maxCellSize(pageSize - PAGER_HEADER_ALLOWANCE) - LEAF_CELL_KEY_OFFSET - OVERFLOW_REFERENCE_SIZE
  return { maxKeySize, maxValueSize: MAX_VALUE_SIZE }
}
