import { readU16, writeU16, zeroBytes } from './bytes.js'

/**
 * The slotted layout shared by leaf and branch pages (see FORMAT.md):
 *
 *   [header][slot 0][slot 1]…[slot n-1] → free ← [cells, packed towards the end of the body]
 *
 * A slot is the u16 offset of its cell; slots are kept in key order, cells are not. Inserting a
 * cell shifts only the (small) slot array; deleting one leaves a hole in the cell area that is
 * counted in `fragmentedBytes` and squeezed out by `compactCells` when an insert needs the room.
 * The header of every slotted page starts with these fields; a page kind may append its own
 * (the branch's leftmost child) before the slots begin at `headerSize`.
 */
export const CELL_COUNT_OFFSET = 0 // u16
export const CELL_AREA_START_OFFSET = 2 // u16: lowest byte used by a cell; the body size when empty
export const FRAGMENTED_BYTES_OFFSET = 4 // u16: bytes inside the cell area that belong to no cell
export const SLOTTED_RESERVED_OFFSET = 6 // u16: zero
export const SLOTTED_HEADER_SIZE = 8
export const SLOT_SIZE = 2

/** Returns the size in bytes of the cell at `offset` (each page kind has its own cell layout). */
export type CellSizeOf = (body: Uint8Array, offset: number) => number

export function cellCount(body: Uint8Array): number {
  return readU16(body, CELL_COUNT_OFFSET)
}

export function cellAreaStart(body: Uint8Array): number {
  return readU16(body, CELL_AREA_START_OFFSET)
}

export function fragmentedBytes(body: Uint8Array): number {
  return readU16(body, FRAGMENTED_BYTES_OFFSET)
}

export function slotAt(body: Uint8Array, headerSize: number, index: number): number {
  return readU16(body, headerSize + index * SLOT_SIZE)
}

/** Empties the page (zero-filled, so a rebuilt page carries no stale bytes of its past). */
export function initSlotted(body: Uint8Array): void {
  zeroBytes(body)
  writeU16(body, CELL_AREA_START_OFFSET, body.length)
}

/** Bytes taken by slots and live cells. */
export function usedBytes(body: Uint8Array): number {
  const count = cellCount(body)
  return count * SLOT_SIZE + (body.length - cellAreaStart(body) - fragmentedBytes(body))
}

/** Bytes a page of this kind can hold in slots and cells. */
export function usableBytes(bodySize: number, headerSize: number): number {
  return bodySize - headerSize
}

/**
 * A cheap plausibility check of the header, done on every page the tree descends through (the
 * full per-cell validation lives in `check`). It keeps a page that passed its checksum but was
 * written by a buggy or foreign writer from sending offsets outside the body.
 */
export function slottedHeaderProblem(body: Uint8Array, headerSize: number): string | undefined {
  const count = cellCount(body)
  const areaStart = cellAreaStart(body)
  if (headerSize + count * SLOT_SIZE > areaStart || areaStart > body.length) {
    return `slotted header out of bounds (cells ${count}, cell area start ${areaStart}, body ${body.length})`
  }
  if (fragmentedBytes(body) > body.length - areaStart) return 'fragmented byte count exceeds the cell area'
  return undefined
}

/**
 * Makes room for a `length`-byte cell at slot `index` (shifting later slots right) and returns
 * the cell's offset, for the caller to fill in; -1 when the page cannot hold it even after
 * compaction (the caller splits). `scratch` is a body-sized buffer the compaction may clobber.
 */
export function insertCell(
  body: Uint8Array,
  headerSize: number,
  index: number,
  length: number,
  cellSizeOf: CellSizeOf,
  scratch: Uint8Array,
): number {
  const count = cellCount(body)
  const slotsEnd = headerSize + count * SLOT_SIZE
  if (cellAreaStart(body) - slotsEnd < length + SLOT_SIZE) {
    if (usableBytes(body.length, headerSize) - usedBytes(body) < length + SLOT_SIZE) return -1
    compactCells(body, headerSize, cellSizeOf, scratch)
  }
  const slot = headerSize + index * SLOT_SIZE
  body.copyWithin(slot + SLOT_SIZE, slot, slotsEnd)
  const offset = cellAreaStart(body) - length
  writeU16(body, CELL_AREA_START_OFFSET, offset)
  writeU16(body, slot, offset)
  writeU16(body, CELL_COUNT_OFFSET, count + 1)
  return offset
}

/** Removes the cell at slot `index`, whose size is `length`. */
export function removeCell(body: Uint8Array, headerSize: number, index: number, length: number): void {
  const count = cellCount(body)
  const slot = headerSize + index * SLOT_SIZE
  const offset = readU16(body, slot)
  body.copyWithin(slot, slot + SLOT_SIZE, headerSize + count * SLOT_SIZE)
  writeU16(body, CELL_COUNT_OFFSET, count - 1)
  if (offset === cellAreaStart(body)) {
    writeU16(body, CELL_AREA_START_OFFSET, offset + length)
  } else {
    writeU16(body, FRAGMENTED_BYTES_OFFSET, fragmentedBytes(body) + length)
  }
}

/** Appends a cell copied from `source` after the last slot; the caller has checked that it fits. */
export function appendCell(
  body: Uint8Array,
  headerSize: number,
  source: Uint8Array,
  sourceOffset: number,
  length: number,
): void {
  const count = cellCount(body)
  const offset = cellAreaStart(body) - length
  if (offset < headerSize + (count + 1) * SLOT_SIZE) throw new Error('kv internal error: appendCell overflows the page')
  body.set(source.subarray(sourceOffset, sourceOffset + length), offset)
  writeU16(body, CELL_AREA_START_OFFSET, offset)
  writeU16(body, headerSize + count * SLOT_SIZE, offset)
  writeU16(body, CELL_COUNT_OFFSET, count + 1)
}

/** Squeezes the holes out of the cell area, keeping every slot's cell. */
export function compactCells(body: Uint8Array, headerSize: number, cellSizeOf: CellSizeOf, scratch: Uint8Array): void {
  const count = cellCount(body)
  scratch.set(body)
  let end = body.length
  for (let i = 0; i < count; i++) {
    const slot = headerSize + i * SLOT_SIZE
    const from = readU16(scratch, slot)
    const length = cellSizeOf(scratch, from)
    end -= length
    body.set(scratch.subarray(from, from + length), end)
    writeU16(body, slot, end)
  }
  zeroBytes(body, headerSize + count * SLOT_SIZE, end)
  writeU16(body, CELL_AREA_START_OFFSET, end)
  writeU16(body, FRAGMENTED_BYTES_OFFSET, 0)
}

/**
 * Full structural validation for `check`: every slot points inside the cell area, every cell fits
 * in the body, no two cells overlap, and live cells plus `fragmentedBytes` account for the whole
 * cell area. `cellHeaderSize` bytes must be readable before `cellSizeOf` is asked.
 */
export function validateSlotted(
  body: Uint8Array,
  headerSize: number,
  cellHeaderSize: number,
  cellSizeOf: CellSizeOf,
): string | undefined {
  const headerProblem = slottedHeaderProblem(body, headerSize)
  if (headerProblem !== undefined) return headerProblem
  if (readU16(body, SLOTTED_RESERVED_OFFSET) !== 0) return 'reserved header field is not zero'
  const count = cellCount(body)
  const areaStart = cellAreaStart(body)
  const extents: Array<[number, number]> = []
  let live = 0
  for (let i = 0; i < count; i++) {
    const offset = slotAt(body, headerSize, i)
    if (offset < areaStart || offset + cellHeaderSize > body.length) {
      return `slot ${i} points outside the cell area (offset ${offset})`
    }
    const end = offset + cellSizeOf(body, offset)
    if (end > body.length) return `cell ${i} at offset ${offset} runs past the end of the body`
    extents.push([offset, end])
    live += end - offset
  }
  extents.sort((a, b) => a[0] - b[0])
  for (let i = 1; i < extents.length; i++) {
    if (extents[i]![0] < extents[i - 1]![1]) return `cells at offsets ${extents[i - 1]![0]} and ${extents[i]![0]} overlap`
  }
  if (live + fragmentedBytes(body) !== body.length - areaStart) {
    return `cell area accounting mismatch (live ${live} + fragmented ${fragmentedBytes(body)} != ${body.length - areaStart})`
  }
  return undefined
}
