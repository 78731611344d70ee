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
  keyHead,
  validateSlotted,
  type SlottedKind,
} from './slotted-format.js'

/**
 * Leaf page: the slotted layout (slotted-format.ts) whose cells are key/value entries, slots in
 * ascending key order. A value is stored inline in the cell, or — when the inline cell would be
 * larger than the tree's `maxCellSize` — in an overflow chain (overflow-format.ts) whose first page
 * id the cell holds instead. See FORMAT.md.
 */
export const LEAF_PAGE_TYPE = FIRST_USER_PAGE_TYPE
export const LEAF_HEADER_SIZE = SLOTTED_HEADER_SIZE

export const LEAF_CELL_KEY_LENGTH_OFFSET = 0 // u16
export const LEAF_CELL_FLAGS_OFFSET = 2 // u8
export const LEAF_CELL_VALUE_LENGTH_OFFSET = 3 // u32: the full value length, inline or not
export const LEAF_CELL_KEY_OFFSET = 7 // key bytes, then the value bytes or a u32 overflow page id
export const LEAF_CELL_HEADER_SIZE = LEAF_CELL_KEY_OFFSET

/** Flag bit: the value lives in an overflow chain. No other bit is defined. */
export const LEAF_FLAG_OVERFLOW = 0x01
export const OVERFLOW_REFERENCE_SIZE = 4

export function leafCellLength(keyLength: number, valueLength: number, overflow: boolean): number {
  return LEAF_CELL_KEY_OFFSET + keyLength + (overflow ? OVERFLOW_REFERENCE_SIZE : valueLength)
}

export function leafCellSize(body: Uint8Array, offset: number): number {
  const keyLength = readU16(body, offset + LEAF_CELL_KEY_LENGTH_OFFSET)
  const overflow = (body[offset + LEAF_CELL_FLAGS_OFFSET]! & LEAF_FLAG_OVERFLOW) !== 0
  return (
    LEAF_CELL_KEY_OFFSET + keyLength + (overflow ? OVERFLOW_REFERENCE_SIZE : readU32(body, offset + LEAF_CELL_VALUE_LENGTH_OFFSET))
  )
}

/** Leaves as the slotted layout sees them. */
export const LEAF_KIND: SlottedKind = { headerSize: LEAF_HEADER_SIZE, cellKeyOffset: LEAF_CELL_KEY_OFFSET, cellSizeOf: leafCellSize }

export function leafCellOffset(body: Uint8Array, index: number): number {
  return readU16(body, LEAF_HEADER_SIZE + index * OFFSET_SLOT_SIZE)
}

export function leafKeyLength(body: Uint8Array, cellOffset: number): number {
  return readU16(body, cellOffset + LEAF_CELL_KEY_LENGTH_OFFSET)
}

export function leafValueLength(body: Uint8Array, cellOffset: number): number {
  return readU32(body, cellOffset + LEAF_CELL_VALUE_LENGTH_OFFSET)
}

export function leafIsOverflow(body: Uint8Array, cellOffset: number): boolean {
  return (body[cellOffset + LEAF_CELL_FLAGS_OFFSET]! & LEAF_FLAG_OVERFLOW) !== 0
}

/** Where the inline value (or the overflow page id) starts. */
export function leafValueStart(body: Uint8Array, cellOffset: number): number {
  return cellOffset + LEAF_CELL_KEY_OFFSET + readU16(body, cellOffset + LEAF_CELL_KEY_LENGTH_OFFSET)
}

export function leafOverflowPageId(body: Uint8Array, cellOffset: number): number {
  return readU32(body, leafValueStart(body, cellOffset))
}

/**
 * Binary search on the page bytes. Returns the slot index of `key`, or `-(insertionPoint + 1)`
 * when it is absent.
 */
export function leafFind(body: Uint8Array, key: Uint8Array): number {
  if (hasKeyHeads(body)) return leafFindByHeads(body, key)
  let low = 0
  let high = readU16(body, 0) - 1
  while (low <= high) {
    const mid = (low + high) >>> 1
    const offset = body[LEAF_HEADER_SIZE + mid * OFFSET_SLOT_SIZE]! | (body[LEAF_HEADER_SIZE + mid * OFFSET_SLOT_SIZE + 1]! << 8)
    const keyLength = body[offset]! | (body[offset + 1]! << 8)
    const c = compareKeyWithBytes(key, body, offset + LEAF_CELL_KEY_OFFSET, keyLength)
    if (c > 0) low = mid + 1
    else if (c < 0) high = mid - 1
    else return mid
  }
  return -(low + 1)
}

/**
 * `leafFind` on a key-head page: a probe reads the cell only when its head equals the key's. A key
 * that is found is found whatever its first bytes; only the insertion point of a key that is not
 * needs the page's prefix checked, because heads place only keys that start with it.
 */
function leafFindByHeads(body: Uint8Array, key: Uint8Array): number {
  const count = body[0]! | (body[1]! << 8)
  const prefix = body[KEY_HEAD_PREFIX_OFFSET]!
  const headsStart = LEAF_HEADER_SIZE + count * OFFSET_SLOT_SIZE
  const head = keyHead(key, prefix, key.length - prefix)
  let low = 0
  let high = count - 1
  while (low <= high) {
    const mid = (low + high) >>> 1
    const c = compareWithSlot(body, LEAF_KIND, headsStart, mid, key, head)
    if (c > 0) low = mid + 1
    else if (c < 0) high = mid - 1
    else return mid
  }
  if (prefix !== 0) {
    const side = comparePrefix(body, LEAF_KIND, key, prefix)
    if (side < 0) return -1
    if (side > 0) return -(count + 1)
  }
  return -(low + 1)
}

/** Index of the first entry whose key is > `key` (`inclusive` false) or >= `key` (`inclusive` true). */
export function leafSeek(body: Uint8Array, key: Uint8Array, inclusive: boolean): number {
  const found = leafFind(body, key)
  if (found < 0) return -(found + 1)
  return inclusive ? found : found + 1
}

/** Writes a whole cell at `offset`; `value` is the inline value, or undefined for an overflow reference. */
export function writeLeafCell(
  body: Uint8Array,
  offset: number,
  key: Uint8Array,
  valueLength: number,
  value: Uint8Array | undefined,
  overflowPageId: number,
): void {
  writeU16(body, offset + LEAF_CELL_KEY_LENGTH_OFFSET, key.length)
  body[offset + LEAF_CELL_FLAGS_OFFSET] = value === undefined ? LEAF_FLAG_OVERFLOW : 0
  writeU32(body, offset + LEAF_CELL_VALUE_LENGTH_OFFSET, valueLength)
  body.set(key, offset + LEAF_CELL_KEY_OFFSET)
  const valueStart = offset + LEAF_CELL_KEY_OFFSET + key.length
  if (value === undefined) writeU32(body, valueStart, overflowPageId)
  else body.set(value, valueStart)
}

/**
 * Structure, flags and strictly ascending key order. Returns the first problem found, or
 * undefined. (Key bounds against the parent's separators are the checker's job.)
 */
export function validateLeaf(body: Uint8Array): string | undefined {
  const structural = validateSlotted(body, LEAF_KIND, LEAF_CELL_HEADER_SIZE)
  if (structural !== undefined) return structural
  const count = cellCount(body)
  for (let i = 0; i < count; i++) {
    const offset = leafCellOffset(body, i)
    if ((body[offset + LEAF_CELL_FLAGS_OFFSET]! & ~LEAF_FLAG_OVERFLOW) !== 0) return `entry ${i} has unknown flag bits`
    if (i > 0) {
      const previous = leafCellOffset(body, i - 1)
      const order = compareByteRanges(
        body,
        previous + LEAF_CELL_KEY_OFFSET,
        leafKeyLength(body, previous),
        body,
        offset + LEAF_CELL_KEY_OFFSET,
        leafKeyLength(body, offset),
      )
      if (order >= 0) return `keys of entries ${i - 1} and ${i} are not in ascending order`
    }
  }
  return undefined
}
