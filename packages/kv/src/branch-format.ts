import { FIRST_USER_PAGE_TYPE } from '@tinydb/pager'
import { readU16, readU32, writeU16, writeU32 } from './bytes.js'
import { compareByteRanges, compareKeyWithBytes } from './compare.js'
import { SLOT_SIZE, SLOTTED_HEADER_SIZE, cellCount, initSlotted, validateSlotted } from './slotted-format.js'

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

export function branchCellOffset(body: Uint8Array, index: number): number {
  return readU16(body, BRANCH_HEADER_SIZE + index * SLOT_SIZE)
}

export function branchKeyLength(body: Uint8Array, cellOffset: number): number {
  return readU16(body, cellOffset + BRANCH_CELL_KEY_LENGTH_OFFSET)
}

export function initBranch(body: Uint8Array, leftmostChild: number): void {
  initSlotted(body)
  writeU32(body, BRANCH_LEFTMOST_CHILD_OFFSET, leftmostChild)
}

/** Child `index` in [0, cellCount]. */
export function branchChildAt(body: Uint8Array, index: number): number {
  if (index === 0) return readU32(body, BRANCH_LEFTMOST_CHILD_OFFSET)
  return readU32(body, readU16(body, BRANCH_HEADER_SIZE + (index - 1) * SLOT_SIZE) + BRANCH_CELL_CHILD_OFFSET)
}

export function setBranchChildAt(body: Uint8Array, index: number, pageId: number): void {
  if (index === 0) writeU32(body, BRANCH_LEFTMOST_CHILD_OFFSET, pageId)
  else writeU32(body, readU16(body, BRANCH_HEADER_SIZE + (index - 1) * SLOT_SIZE) + BRANCH_CELL_CHILD_OFFSET, pageId)
}

/**
 * Binary search on the page bytes: the index of the child whose key range holds `key`, i.e. the
 * number of separators <= `key`.
 */
export function branchChildIndex(body: Uint8Array, key: Uint8Array): number {
  let low = 0
  let high = readU16(body, 0)
  while (low < high) {
    const mid = (low + high) >>> 1
    const offset = body[BRANCH_HEADER_SIZE + mid * SLOT_SIZE]! | (body[BRANCH_HEADER_SIZE + mid * SLOT_SIZE + 1]! << 8)
    const keyLength = body[offset]! | (body[offset + 1]! << 8)
    if (compareKeyWithBytes(key, body, offset + BRANCH_CELL_KEY_OFFSET, keyLength) >= 0) low = mid + 1
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
  const structural = validateSlotted(body, BRANCH_HEADER_SIZE, BRANCH_CELL_HEADER_SIZE, branchCellSize)
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
