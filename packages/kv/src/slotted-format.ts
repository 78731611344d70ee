import { readU16, writeU16, zeroBytes } from './bytes.js'
import { compareKeyWithBytes } from './compare.js'

/**
 * The slotted layout shared by leaf and branch pages (see FORMAT.md). Two slot layouts exist; the
 * header's `layout` field says which one a page uses, and all pages of one tree use the same one:
 *
 *   layout 0 (offsets):    [header][offset 0]…[offset n-1] → free ← [cells]
 *   layout 1 (key heads):  [header][offset 0]…[offset n-1][head 0]…[head n-1] → free ← [cells]
 *
 * An offset is the u16 body offset of its cell; offsets (and heads) are kept in key order, cells
 * are not. Every key of a key-head page starts with the same `prefix` bytes (the header says how
 * many; the bytes are those of any of its keys), and a head is the four key bytes after them,
 * zero-padded, as a big-endian u32. Comparing two heads as numbers orders them as their keys (a
 * shorter key's padding sorts below any byte, as the key itself does), so a binary search settles
 * most probes on the heads, which lie packed in a few cache lines, and reads a cell only when the
 * heads are equal. Skipping the prefix is what keeps heads apart where keys share a long start
 * ("user:00012…"). The heads follow all the offsets, not each one, so reading the offset of cell i
 * is the same in both layouts.
 *
 * Inserting a cell shifts only the slot arrays; deleting one leaves a hole in the cell area that is
 * counted in `fragmentedBytes` and squeezed out by `compactCells` when an insert needs the room.
 * The header of every slotted page starts with these fields; a page kind may append its own (the
 * branch's leftmost child) before the slots begin at `headerSize`. Both page kinds' cells start with
 * the key's u16 length, and the key itself starts at a fixed offset of the kind (`cellKeyOffset`):
 * that is all the key-head layout needs to know of a cell.
 */
export const CELL_COUNT_OFFSET = 0 // u16
export const CELL_AREA_START_OFFSET = 2 // u16: lowest byte used by a cell; the body size when empty
export const FRAGMENTED_BYTES_OFFSET = 4 // u16: bytes inside the cell area that belong to no cell
export const SLOT_LAYOUT_OFFSET = 6 // u8: SLOT_LAYOUT_OFFSETS or SLOT_LAYOUT_KEY_HEADS
export const KEY_HEAD_PREFIX_OFFSET = 7 // u8: bytes all keys share, which heads skip (0 in the offsets layout)
export const SLOTTED_HEADER_SIZE = 8
/** The longest prefix a header can record; keys may share more. */
export const MAX_KEY_HEAD_PREFIX = 255
/**
 * The shortest prefix a page records. A branch search whose page has one first compares the key
 * with it, which reads the first cell; keys that share fewer bytes than this keep two or more of
 * their four head bytes apart anyway, which tells a page's keys apart as a rule (random keys: a
 * leaf's share about 2 bytes at 10 M keys, a branch's 1).
 */
export const MIN_KEY_HEAD_PREFIX = 3
export const SLOT_LAYOUT_OFFSETS = 0
export const SLOT_LAYOUT_KEY_HEADS = 1
/** Bytes of slot per cell: the offset, and in the key-head layout the head. */
export const OFFSET_SLOT_SIZE = 2
export const KEY_HEAD_SIZE = 4
export const KEY_HEAD_SLOT_SIZE = OFFSET_SLOT_SIZE + KEY_HEAD_SIZE

export function slotSizeFor(keyHeads: boolean): number {
  return keyHeads ? KEY_HEAD_SLOT_SIZE : OFFSET_SLOT_SIZE
}

/** The header's `layout` field. */
export function slotLayout(body: Uint8Array): number {
  return body[SLOT_LAYOUT_OFFSET]!
}

/** How many leading bytes every key of a key-head page shares; its heads are the bytes after them. */
export function keyHeadPrefix(body: Uint8Array): number {
  return body[KEY_HEAD_PREFIX_OFFSET]!
}

/** Whether the page uses the key-head layout. */
export function hasKeyHeads(body: Uint8Array): boolean {
  return body[SLOT_LAYOUT_OFFSET] === SLOT_LAYOUT_KEY_HEADS
}

/** Bytes of slot each cell of this page takes. */
export function slotSize(body: Uint8Array): number {
  return body[SLOT_LAYOUT_OFFSET] === SLOT_LAYOUT_KEY_HEADS ? KEY_HEAD_SLOT_SIZE : OFFSET_SLOT_SIZE
}

/**
 * The head of the `length`-byte key at `bytes[start]`: its first four bytes, zero-padded, as an
 * unsigned big-endian number. head(a) < head(b) implies a < b, and a < b implies head(a) <= head(b).
 */
export function keyHead(bytes: Uint8Array, start: number, length: number): number {
  if (length >= 4) return ((bytes[start]! << 24) | (bytes[start + 1]! << 16) | (bytes[start + 2]! << 8) | bytes[start + 3]!) >>> 0
  let head = 0
  for (let i = 0; i < 4; i++) head = head * 256 + (i < length ? bytes[start + i]! : 0)
  return head
}

/** The head of the cell at `cellOffset` in a page whose keys share `prefix` bytes. */
function cellKeyHead(body: Uint8Array, cellOffset: number, cellKeyOffset: number, prefix: number): number {
  return keyHead(body, cellOffset + cellKeyOffset + prefix, readU16(body, cellOffset) - prefix)
}

/** Bytes the two ranges share at their start, at most `limit`. */
function commonPrefix(a: Uint8Array, aStart: number, aLength: number, b: Uint8Array, bStart: number, bLength: number, limit: number): number {
  const n = Math.min(aLength, bLength, limit)
  let i = 0
  while (i < n && a[aStart + i] === b[bStart + i]) i++
  return i
}

/**
 * How `key` compares with the `prefix` bytes every key of the key-head page shares (read from its
 * first cell): negative when `key` sorts before every key of the page, positive when after, 0 when
 * it starts with the prefix. Only a key that starts with the prefix can be placed by the heads.
 */
export function comparePrefix(body: Uint8Array, kind: SlottedKind, key: Uint8Array, prefix: number): number {
  const start = readU16(body, kind.headerSize) + kind.cellKeyOffset
  const n = key.length < prefix ? key.length : prefix
  for (let i = 0; i < n; i++) {
    const d = key[i]! - body[start + i]!
    if (d !== 0) return d
  }
  return key.length < prefix ? -1 : 0
}

/** What a page records of the `shared` bytes all its keys share. */
function recordablePrefix(shared: number): number {
  return shared < MIN_KEY_HEAD_PREFIX ? 0 : shared
}

/** Records a prefix of `prefix` bytes, which all keys of the page share, and rewrites every head for it. */
function rewriteKeyHeads(body: Uint8Array, kind: SlottedKind, prefix: number): void {
  body[KEY_HEAD_PREFIX_OFFSET] = prefix
  const headsStart = keyHeadsStart(body, kind.headerSize)
  const count = cellCount(body)
  for (let i = 0; i < count; i++) {
    writeKeyHead(body, headsStart + i * KEY_HEAD_SIZE, cellKeyHead(body, slotAt(body, kind.headerSize, i), kind.cellKeyOffset, prefix))
  }
}

/**
 * The prefix a key-head page keeps once it also holds `key`: its own, unless `key` does not start
 * with it — then as much of it as `key` shares, and the heads are rewritten for that. A page's
 * second key sets the prefix to what the two share (the first alone could not), so that a page
 * that grows by inserts alone, such as a new root, has one too.
 */
function prefixIncluding(body: Uint8Array, kind: SlottedKind, key: Uint8Array, keyStart: number, keyLength: number): number {
  const count = cellCount(body)
  if (count === 0) {
    body[KEY_HEAD_PREFIX_OFFSET] = 0
    return 0
  }
  const prefix = keyHeadPrefix(body)
  if (prefix === 0 && count > 1) return 0
  const first = slotAt(body, kind.headerSize, 0)
  const limit = count === 1 ? MAX_KEY_HEAD_PREFIX : prefix
  const shared = recordablePrefix(commonPrefix(key, keyStart, keyLength, body, first + kind.cellKeyOffset, readU16(body, first), limit))
  if (shared !== prefix) rewriteKeyHeads(body, kind, shared)
  return shared
}

/**
 * Gives a key-head page the longest prefix its keys share (from MIN_KEY_HEAD_PREFIX up to
 * MAX_KEY_HEAD_PREFIX bytes, else none). For a page just filled: otherwise a page's prefix only
 * shrinks, as keys arrive that do not share it (any prefix the keys share is valid, 0 always).
 * Nothing to do in the offsets layout.
 */
export function fitKeyHeadPrefix(body: Uint8Array, kind: SlottedKind): void {
  if (!hasKeyHeads(body)) return
  const count = cellCount(body)
  const first = slotAt(body, kind.headerSize, 0)
  const last = slotAt(body, kind.headerSize, count - 1)
  const k = kind.cellKeyOffset
  // Keys are in order, so what the first and the last share, all share. A lone key shares nothing
  // with a neighbour yet, and the next insert would only take its prefix back.
  const shared = count < 2 ? 0 : commonPrefix(body, first + k, readU16(body, first), body, last + k, readU16(body, last), MAX_KEY_HEAD_PREFIX)
  rewriteKeyHeads(body, kind, recordablePrefix(shared))
}

/** Where the heads start in a key-head page: after the last offset. */
export function keyHeadsStart(body: Uint8Array, headerSize: number): number {
  return headerSize + readU16(body, CELL_COUNT_OFFSET) * OFFSET_SLOT_SIZE
}

/**
 * How `key`, whose head (after the page's prefix) is `head`, compares with the key of slot `index`
 * of a key-head page whose heads start at `headsStart`. The cell is read only when the heads are
 * equal: that is the point of the heads.
 */
export function compareWithSlot(
  body: Uint8Array,
  kind: SlottedKind,
  headsStart: number,
  index: number,
  key: Uint8Array,
  head: number,
): number {
  const slotHead = keyHeadAt(body, headsStart, index)
  if (head !== slotHead) return head - slotHead
  const slot = kind.headerSize + index * OFFSET_SLOT_SIZE
  const offset = body[slot]! | (body[slot + 1]! << 8)
  return compareKeyWithBytes(key, body, offset + kind.cellKeyOffset, body[offset]! | (body[offset + 1]! << 8))
}

/** Head `index` of a key-head page whose heads start at `headsStart`. */
export function keyHeadAt(body: Uint8Array, headsStart: number, index: number): number {
  const at = headsStart + index * KEY_HEAD_SIZE
  return ((body[at]! << 24) | (body[at + 1]! << 16) | (body[at + 2]! << 8) | body[at + 3]!) >>> 0
}

function writeKeyHead(body: Uint8Array, at: number, head: number): void {
  body[at] = head >>> 24
  body[at + 1] = (head >>> 16) & 0xff
  body[at + 2] = (head >>> 8) & 0xff
  body[at + 3] = head & 0xff
}

/** Returns the size in bytes of the cell at `offset` (each page kind has its own cell layout). */
export type CellSizeOf = (body: Uint8Array, offset: number) => number

/**
 * What the slotted layout needs to know of a page kind: its header size, and its cells' size and
 * key offset (every cell starts with its key's u16 length).
 */
export interface SlottedKind {
  readonly headerSize: number
  readonly cellKeyOffset: number
  readonly cellSizeOf: CellSizeOf
}

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
  return readU16(body, headerSize + index * OFFSET_SLOT_SIZE)
}

/** Empties the page (zero-filled, so a rebuilt page carries no stale bytes of its past). */
export function initSlotted(body: Uint8Array, keyHeads: boolean): void {
  zeroBytes(body)
  writeU16(body, CELL_AREA_START_OFFSET, body.length)
  body[SLOT_LAYOUT_OFFSET] = keyHeads ? SLOT_LAYOUT_KEY_HEADS : SLOT_LAYOUT_OFFSETS
}

/** Body offset where the slot arrays end: the offsets, then (key-head layout) the heads. */
export function slotsEnd(body: Uint8Array, headerSize: number): number {
  return headerSize + cellCount(body) * slotSize(body)
}

/** Bytes taken by slots and live cells. */
export function usedBytes(body: Uint8Array): number {
  const count = cellCount(body)
  return count * slotSize(body) + (body.length - cellAreaStart(body) - fragmentedBytes(body))
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
  const layoutProblem = slotLayoutProblem(body)
  if (layoutProblem !== undefined) return layoutProblem
  if (!hasKeyHeads(body) && keyHeadPrefix(body) !== 0) return 'a key-head prefix in a page without key heads'
  const count = cellCount(body)
  const areaStart = cellAreaStart(body)
  if (headerSize + count * slotSize(body) > areaStart || areaStart > body.length) {
    return `slotted header out of bounds (cells ${count}, cell area start ${areaStart}, body ${body.length})`
  }
  if (fragmentedBytes(body) > body.length - areaStart) return 'fragmented byte count exceeds the cell area'
  return undefined
}

/** Why the header's `layout` field is not a layout this build knows, or undefined. */
export function slotLayoutProblem(body: Uint8Array): string | undefined {
  const layout = slotLayout(body)
  return layout === SLOT_LAYOUT_OFFSETS || layout === SLOT_LAYOUT_KEY_HEADS ? undefined : `unknown slot layout ${layout}`
}

/**
 * Makes room at slot `index` for a `length`-byte cell whose key is `keyLength` bytes of `key` at
 * `keyStart` (shifting later slots right) and returns the cell's offset, for the caller to fill
 * in; -1 when the page cannot hold it even after compaction (the caller splits). `scratch` is a
 * body-sized buffer the compaction may clobber.
 */
export function insertCell(
  body: Uint8Array,
  kind: SlottedKind,
  index: number,
  length: number,
  key: Uint8Array,
  keyStart: number,
  keyLength: number,
  scratch: Uint8Array,
): number {
  const { headerSize } = kind
  const count = cellCount(body)
  const size = slotSize(body)
  if (cellAreaStart(body) - slotsEnd(body, headerSize) < length + size) {
    if (usableBytes(body.length, headerSize) - usedBytes(body) < length + size) return -1
    compactCells(body, headerSize, kind.cellSizeOf, scratch)
  }
  const offsetSlot = headerSize + index * OFFSET_SLOT_SIZE
  const offsetsEnd = headerSize + count * OFFSET_SLOT_SIZE
  if (size === KEY_HEAD_SLOT_SIZE) {
    const prefix = prefixIncluding(body, kind, key, keyStart, keyLength)
    // Heads [index, n) move right by a whole slot, heads [0, index) by an offset's width; then
    // the offsets after `index` move into the room that opened. Each copy reads bytes no earlier
    // copy has overwritten.
    const headSlot = offsetsEnd + index * KEY_HEAD_SIZE
    body.copyWithin(headSlot + KEY_HEAD_SLOT_SIZE, headSlot, offsetsEnd + count * KEY_HEAD_SIZE)
    body.copyWithin(offsetsEnd + OFFSET_SLOT_SIZE, offsetsEnd, headSlot)
    writeKeyHead(body, headSlot + OFFSET_SLOT_SIZE, keyHead(key, keyStart + prefix, keyLength - prefix))
  }
  body.copyWithin(offsetSlot + OFFSET_SLOT_SIZE, offsetSlot, offsetsEnd)
  const offset = cellAreaStart(body) - length
  writeU16(body, CELL_AREA_START_OFFSET, offset)
  writeU16(body, offsetSlot, offset)
  writeU16(body, CELL_COUNT_OFFSET, count + 1)
  return offset
}

/** Removes the cell at slot `index`, whose size is `length`. */
export function removeCell(body: Uint8Array, headerSize: number, index: number, length: number): void {
  const count = cellCount(body)
  const offsetSlot = headerSize + index * OFFSET_SLOT_SIZE
  const offsetsEnd = headerSize + count * OFFSET_SLOT_SIZE
  const offset = readU16(body, offsetSlot)
  body.copyWithin(offsetSlot, offsetSlot + OFFSET_SLOT_SIZE, offsetsEnd)
  if (slotSize(body) === KEY_HEAD_SLOT_SIZE) {
    // The mirror of insertCell: heads [0, index) move left by an offset's width, heads after
    // `index` by a whole slot.
    const headSlot = offsetsEnd + index * KEY_HEAD_SIZE
    body.copyWithin(offsetsEnd - OFFSET_SLOT_SIZE, offsetsEnd, headSlot)
    body.copyWithin(headSlot - OFFSET_SLOT_SIZE, headSlot + KEY_HEAD_SIZE, offsetsEnd + count * KEY_HEAD_SIZE)
  }
  writeU16(body, CELL_COUNT_OFFSET, count - 1)
  if (offset === cellAreaStart(body)) {
    writeU16(body, CELL_AREA_START_OFFSET, offset + length)
  } else {
    writeU16(body, FRAGMENTED_BYTES_OFFSET, fragmentedBytes(body) + length)
  }
}

/**
 * Lays cells [from, to) of the lists out in the emptied page `body` (after `initSlotted`): cell i
 * in slot i, the cells from the page's end down, as inserts in key order would place them, then the
 * key-head prefix they share and every head (key-head layout). One pass: an append per cell moved
 * every head the page already had and computed each head twice (once as appended, once for the
 * prefix), and a copy per cell cost more than the bytes it moved.
 */
export function fillEmptySlotted(
  body: Uint8Array,
  kind: SlottedKind,
  sources: readonly Uint8Array[],
  offsets: readonly number[],
  lengths: readonly number[],
  from: number,
  to: number,
): void {
  const { headerSize } = kind
  const count = to - from
  let cellBytes = 0
  for (let i = from; i < to; i++) cellBytes += lengths[i]!
  if (cellCount(body) !== 0 || headerSize + count * slotSize(body) + cellBytes > cellAreaStart(body)) {
    throw new Error('kv internal error: fillEmptySlotted needs an empty page with room for the cells')
  }
  let end = cellAreaStart(body)
  for (let i = 0; i < count; ) {
    // A run of cells that already lie each directly below the one before, as this function lays
    // them out, goes over in one copy: a page rebuilt before holds few runs, not a cell per copy.
    const source = sources[from + i]!
    const runEnd = offsets[from + i]! + lengths[from + i]!
    let j = i + 1
    while (j < count && sources[from + j] === source && offsets[from + j]! + lengths[from + j]! === offsets[from + j - 1]!) j++
    const runStart = offsets[from + j - 1]!
    const shift = end - runEnd
    body.set(source.subarray(runStart, runEnd), runStart + shift)
    for (let k = i; k < j; k++) writeU16(body, headerSize + k * OFFSET_SLOT_SIZE, offsets[from + k]! + shift)
    end = runStart + shift
    i = j
  }
  writeU16(body, CELL_AREA_START_OFFSET, end)
  writeU16(body, CELL_COUNT_OFFSET, count)
  fitKeyHeadPrefix(body, kind)
}

/** Squeezes the holes out of the cell area, keeping every slot's cell (heads are unchanged). */
export function compactCells(body: Uint8Array, headerSize: number, cellSizeOf: CellSizeOf, scratch: Uint8Array): void {
  const count = cellCount(body)
  scratch.set(body)
  let end = body.length
  for (let i = 0; i < count; i++) {
    const slot = headerSize + i * OFFSET_SLOT_SIZE
    const from = readU16(scratch, slot)
    const length = cellSizeOf(scratch, from)
    end -= length
    body.set(scratch.subarray(from, from + length), end)
    writeU16(body, slot, end)
  }
  zeroBytes(body, slotsEnd(body, headerSize), end)
  writeU16(body, CELL_AREA_START_OFFSET, end)
  writeU16(body, FRAGMENTED_BYTES_OFFSET, 0)
}

/**
 * Full structural validation for `check`: every slot points inside the cell area, every cell fits
 * in the body, no two cells overlap, and live cells plus `fragmentedBytes` account for the whole
 * cell area. `cellHeaderSize` bytes must be readable before the kind's `cellSizeOf` is asked.
 */
export function validateSlotted(body: Uint8Array, kind: SlottedKind, cellHeaderSize: number): string | undefined {
  const { headerSize, cellKeyOffset, cellSizeOf } = kind
  const headerProblem = slottedHeaderProblem(body, headerSize)
  if (headerProblem !== undefined) return headerProblem
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
  if (hasKeyHeads(body)) {
    const headsStart = keyHeadsStart(body, headerSize)
    const prefix = keyHeadPrefix(body)
    const first = count > 0 ? slotAt(body, headerSize, 0) : 0
    for (let i = 0; i < count; i++) {
      const offset = slotAt(body, headerSize, i)
      const keyLength = readU16(body, offset)
      if (offset + cellKeyOffset + keyLength > body.length) return `cell ${i} at offset ${offset} runs past the end of the body`
      const shared = commonPrefix(body, first + cellKeyOffset, readU16(body, first), body, offset + cellKeyOffset, keyLength, prefix)
      if (shared < prefix) return `key ${i} does not start with the page's ${prefix}-byte key-head prefix`
    }
    for (let i = 0; i < count; i++) {
      const offset = slotAt(body, headerSize, i)
      const head = keyHeadAt(body, headsStart, i)
      const expected = cellKeyHead(body, offset, cellKeyOffset, prefix)
      if (head !== expected) return `key head ${i} is ${hex(head)}, its key has ${hex(expected)}`
    }
  }
  return undefined
}

function hex(head: number): string {
  return `0x${head.toString(16).padStart(8, '0')}`
}
