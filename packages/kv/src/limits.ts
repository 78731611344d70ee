import { OVERFLOW_REFERENCE_SIZE, LEAF_CELL_KEY_OFFSET } from './leaf-format.js'
import { BRANCH_HEADER_SIZE } from './branch-format.js'
import { slotSizeFor } from './slotted-format.js'

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
 * The largest cell (slot excluded) a leaf or branch page may hold: small enough that four of them,
 * with their slots, fit in one page. That is what makes a split always produce two pages that fit,
 * and keeps a branch's fan-out at least 4 however long the keys are.
 */
export function maxCellSize(bodySize: number, keyHeads: boolean): number {
  return Math.floor((bodySize - BRANCH_HEADER_SIZE) / 4) - slotSizeFor(keyHeads)
}

/** Limits of a tree of `pageSize`-byte pages in the key-head layout or not (see `usesKeyHeads`). */
export function treeLimits(pageSize: number, keyHeads: boolean): TreeLimits {
  // The binding cell is a leaf entry whose value went to an overflow chain: header, key, page id.
  // (A separator cell for the same key is smaller.)
  const maxKeySize = maxCellSize(pageSize - PAGER_HEADER_ALLOWANCE, keyHeads) - LEAF_CELL_KEY_OFFSET - OVERFLOW_REFERENCE_SIZE
  return { maxKeySize, maxValueSize: MAX_VALUE_SIZE }
}

/** The first data-file format version (see `@tinydb/pager`'s FORMAT.md) whose trees use key heads. */
export const KEY_HEADS_FORMAT_VERSION = 3

/**
 * Whether a tree in a data file of `formatVersion` uses the key-head slot layout. A file keeps its
 * version for life, so a tree keeps its layout: an older TinyDB can still open a file it created.
 * A pager with no format version of its own (an experimenter's) gets the current layout.
 */
export function usesKeyHeads(formatVersion: number | undefined): boolean {
  return formatVersion === undefined || formatVersion >= KEY_HEADS_FORMAT_VERSION
}
