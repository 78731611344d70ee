import { FIRST_USER_PAGE_TYPE } from '@tinydb/pager'
import { readU16, readU32, writeU16, writeU32 } from './bytes.js'
import { compareByteRanges, compareKeyWithBytes } from './compare.js'
import {
  KEY_HEAD_PREFIX_OFFSET,
  OFFSET_SLOT_SIZE,
  SLOTTED_HEADER_SIZE,
  cellCount,
  comparePrefix,
  compareWithSlot,
  hasKeyHeads,
  initSlotted,
  keyHead,
  validateSlotted,
  type SlottedKind,
} from './slotted-format.js'

/**
 * Branch page: the slotted layout (slotted-format.ts) with n separator cells in ascending key order
 * and n + 1 child page ids — the leftmost in the header, the others one per cell. Child 0 holds the
 * keys below separator 0, child i (i >= 1, stored in cell i - 1) the keys k with
 * separator(i - 1) <= k < separator(i). See FORMAT.md.
 */
export const BRANCH_PAGE_TYPE = FIRST_USER_PAGE_TYPE + 1
export const BRANCH_LEFTMOST_CHILD_OFFSET = SLOTTED_HEADER_SIZE // u32
export const BRANCH_HEADER_SIZE = SLOTTED_HEADER_SIZE + 4

export const BRANCH_CELL_KEY_LENGTH_OFFSET = 0 // u16
export const BRANCH_CELL_CHILD_OFFSET = 2 // u32: the child right of this separator
export const BRANCH_CELL_KEY_OFFSET = 6
export const BRANCH_CELL_HEADER_SIZE = BRANCH_CELL_KEY_OFFSET

export function branchCellLength(keyLength: number): number {
  return BRANCH_CELL_KEY_OFFSET + keyLength
}

export function branchCellSize(body: Uint8Array, offset: number): number {
  return BRANCH_CELL_KEY_OFFSET + readU16(body, offset + BRANCH_CELL_KEY_LENGTH_OFFSET)
}

/** Branches as the slotted layout sees them. */
export const BRANCH_KIND: SlottedKind = { headerSize: BRANCH_HEADER_SIZE, cellKeyOffset: BRANCH_CELL_KEY_OFFSET, cellSizeOf: branchCellSize }

export function branchCellOffset(body: Uint8Array, index: number): number {
  return readU16(body, BRANCH_HEADER_SIZE + index * OFFSET_SLOT_SIZE)
}

export function branchKeyLength(body: Uint8Array, cellOffset: number): number {
  return readU16(body, cellOffset + BRANCH_CELL_KEY_LENGTH_OFFSET)
}

export function initBranch(body: Uint8Array, leftmostChild: number, keyHeads: boolean): void {
  initSlotted(body, keyHeads)
  writeU32(body, BRANCH_LEFTMOST_CHILD_OFFSET, leftmostChild)
}

/** Child `index` in [0, cellCount]. */
export function branchChildAt(body: Uint8Array, index: number): number {
  if (index === 0) return readU32(body, BRANCH_LEFTMOST_CHILD_OFFSET)
  return readU32(body, readU16(body, BRANCH_HEADER_SIZE + (index - 1) * OFFSET_SLOT_SIZE) + BRANCH_CELL_CHILD_OFFSET)
}

export function setBranchChildAt(body: Uint8Array, index: number, pageId: number): void {
  if (index === 0) writeU32(body, BRANCH_LEFTMOST_CHILD_OFFSET, pageId)
  else writeU32(body, readU16(body, BRANCH_HEADER_SIZE + (index - 1) * OFFSET_SLOT_SIZE) + BRANCH_CELL_CHILD_OFFSET, pageId)
}

/**
 * Binary search on the page bytes: the index of the child whose key range holds `key`, i.e. the
 * number of separators <= `key`.
 */
export function branchChildIndex(body: Uint8Array, key: Uint8Array): number {
  if (hasKeyHeads(body)) return branchChildIndexByHeads(body, key)
  let low = 0
  let high = readU16(body, 0)
  while (low < high) {
    const mid = (low + high) >>> 1
    const offset = body[BRANCH_HEADER_SIZE + mid * OFFSET_SLOT_SIZE]! | (body[BRANCH_HEADER_SIZE + mid * OFFSET_SLOT_SIZE + 1]! << 8)
    const keyLength = body[offset]! | (body[offset + 1]! << 8)
    if (compareKeyWithBytes(key, body, offset + BRANCH_CELL_KEY_OFFSET, keyLength) >= 0) low = mid + 1
    else high = mid
  }
  return low
}

/**
 * `branchChildIndex` on a key-head page: a probe reads the cell only when its head equals the
 * key's. Heads place only keys that start with the page's prefix; any other key goes below or
 * above every separator.
 */
function branchChildIndexByHeads(body: Uint8Array, key: Uint8Array): number {
  const count = body[0]! | (body[1]! << 8)
  const prefix = body[KEY_HEAD_PREFIX_OFFSET]!
  if (prefix !== 0) {
    const side = comparePrefix(body, BRANCH_KIND, key, prefix)
    if (side < 0) return 0
    if (side > 0) return count
  }
  const headsStart = BRANCH_HEADER_SIZE + count * OFFSET_SLOT_SIZE
  const head = keyHead(key, prefix, key.length - prefix)
  let low = 0
  let high = count
  while (low < high) {
    const mid = (low + high) >>> 1
    if (compareWithSlot(body, BRANCH_KIND, headsStart, mid, key, head) >= 0) low = mid + 1
    else high = mid
  }
  return low
}

/** Writes a whole separator cell at `offset` from `keyLength` bytes of `keySource` at `keyStart`. */
export function writeBranchCell(
  body: Uint8Array,
  offset: number,
  keySource: Uint8Array,
  keyStart: number,
  keyLength: number,
  childPageId: number,
): void {
  writeU16(body, offset + BRANCH_CELL_KEY_LENGTH_OFFSET, keyLength)
  writeU32(body, offset + BRANCH_CELL_CHILD_OFFSET, childPageId)
  body.set(keySource.subarray(keyStart, keyStart + keyLength), offset + BRANCH_CELL_KEY_OFFSET)
}

/** Structure and strictly ascending separators; returns the first problem found, or undefined. */
export function validateBranch(body: Uint8Array): string | undefined {
  const structural = validateSlotted(body, BRANCH_KIND, BRANCH_CELL_HEADER_SIZE)
  if (structural !== undefined) return structural
  const count = cellCount(body)
  for (let i = 1; i < count; i++) {
    const previous = branchCellOffset(body, i - 1)
    const offset = branchCellOffset(body, i)
    const order = compareByteRanges(
      body,
      previous + BRANCH_CELL_KEY_OFFSET,
      branchKeyLength(body, previous),
      body,
      offset + BRANCH_CELL_KEY_OFFSET,
      branchKeyLength(body, offset),
    )
    if (order >= 0) return `separators ${i - 1} and ${i} are not in ascending order`
  }
  return undefined
}
