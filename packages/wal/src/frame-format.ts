import { crc32c } from './crc32.js'
import { readU64 } from './segment-format.js'

/**
 * A frame: one record in a segment. See FORMAT.md.
 *
 * | offset | size   | field                                                      |
 * |--------|--------|------------------------------------------------------------|
 * | 0      | 4      | CRC32C of bytes 4..20 then the payload, seeded with the segment salt |
 * | 4      | 4      | payload length                                             |
 * | 8      | 8      | LSN                                                        |
 * | 16     | 4      | group index: LSN minus the LSN of its commit group's first record |
 * | 20     | length | payload                                                    |
 * | …      | 0..7   | zero padding to a multiple of `FRAME_ALIGNMENT`            |
 *
 * Integers are little-endian. Frames start at 8-byte aligned segment offsets, which is what lets
 * the torn-tail check look for later frames at every aligned offset.
 */
export const FRAME_HEADER_SIZE = 20
export const FRAME_ALIGNMENT = 8
/** Hard ceiling on a payload, whatever `maxRecordSize` says: a frame must fit in one Buffer and its length in a u32. */
export const MAX_FRAME_PAYLOAD = 2 ** 30

const CRC_OFFSET = 0
const LENGTH_OFFSET = 4
/** Exported for the torn-tail scan, which reads the LSN field at every aligned offset. */
export const FRAME_LSN_OFFSET = 8
const LSN_OFFSET = FRAME_LSN_OFFSET
const GROUP_INDEX_OFFSET = 16
/** The CRC covers the header from here on, then the payload. */
const CHECKED_HEADER_OFFSET = LENGTH_OFFSET

/** Why the bytes at an offset are not the expected frame. */
export type FrameFault = 'zeros' | 'truncated' | 'length' | 'lsn' | 'group' | 'checksum'

export const FRAME_FAULT_TEXT: Readonly<Record<FrameFault, string>> = {
  zeros: 'no frame (zero bytes)',
  truncated: 'frame header cut off by the end of the segment',
  length: 'frame length runs past the end of the segment',
  lsn: 'unexpected LSN',
  group: 'commit group starts before the segment',
  checksum: 'frame checksum mismatch',
}

export function frameSize(payloadLength: number): number {
  return Math.ceil((FRAME_HEADER_SIZE + payloadLength) / FRAME_ALIGNMENT) * FRAME_ALIGNMENT
}

/**
 * Encodes a frame at `offset` of `bytes` (`view` is a DataView of the same memory; there must be
 * room for `frameSize(payload.length)` bytes) and returns the offset after it. The payload is
 * copied once, and the CRC is one call over the header fields and the payload, which lie together.
 */
export function encodeFrame(
  bytes: Uint8Array,
  view: DataView,
  offset: number,
  payload: Uint8Array,
  lsn: number,
  groupIndex: number,
  salt: number,
): number {
  view.setUint32(offset + LENGTH_OFFSET, payload.length, true)
  view.setUint32(offset + LSN_OFFSET, lsn >>> 0, true)
  view.setUint32(offset + LSN_OFFSET + 4, Math.floor(lsn / 2 ** 32), true)
  view.setUint32(offset + GROUP_INDEX_OFFSET, groupIndex, true)
  bytes.set(payload, offset + FRAME_HEADER_SIZE)
  view.setUint32(offset + CRC_OFFSET, computeCrc(bytes, offset, payload.length, salt), true)
  const end = offset + frameSize(payload.length)
  for (let at = offset + FRAME_HEADER_SIZE + payload.length; at < end; at++) bytes[at] = 0
  return end
}

/** Recomputes the CRC of an encoded frame for another salt (a commit group moved to a new segment). */
export function resealFrame(bytes: Buffer, offset: number, salt: number): void {
  bytes.writeUInt32LE(computeCrc(bytes, offset, frameLength(bytes, offset), salt), offset + CRC_OFFSET)
}

export function frameLength(bytes: Buffer, offset: number): number {
  return bytes.readUInt32LE(offset + LENGTH_OFFSET)
}

/** The frame's LSN, or -1 when the stored value is not a safe integer. */
export function frameLsn(bytes: Buffer, offset: number): number {
  return readU64(bytes, offset + LSN_OFFSET) ?? -1
}

/** The LSN of the first record of the frame's commit group. */
export function frameGroupFirstLsn(bytes: Buffer, offset: number): number {
  return frameLsn(bytes, offset) - bytes.readUInt32LE(offset + GROUP_INDEX_OFFSET)
}

export function framePayloadOffset(offset: number): number {
  return offset + FRAME_HEADER_SIZE
}

/**
 * Checks that the bytes at `offset` (before `end`) are a frame of the segment with `salt` whose
 * first LSN is `segmentFirstLsn`, with LSN `expectedLsn` (or any LSN when `expectedLsn` is
 * undefined). Returns undefined for a good frame, else the first thing wrong.
 */
export function checkFrame(
  bytes: Buffer,
  offset: number,
  end: number,
  salt: number,
  segmentFirstLsn: number,
  expectedLsn: number | undefined,
): FrameFault | undefined {
  if (end - offset < FRAME_HEADER_SIZE) return isZero(bytes, offset, end) ? 'zeros' : 'truncated'
  const length = frameLength(bytes, offset)
  const lsn = frameLsn(bytes, offset)
  if (lsn === 0 && length === 0 && bytes.readUInt32LE(offset + CRC_OFFSET) === 0) return 'zeros'
  if (expectedLsn === undefined ? lsn < segmentFirstLsn : lsn !== expectedLsn) return 'lsn'
  if (length > end - offset - FRAME_HEADER_SIZE) return 'length'
  // A commit group never spans two segments, so its first record is in this one.
  if (frameGroupFirstLsn(bytes, offset) < segmentFirstLsn) return 'group'
  if (computeCrc(bytes, offset, length, salt) !== bytes.readUInt32LE(offset + CRC_OFFSET)) return 'checksum'
  return undefined
}

/** CRC32C seeded with the salt, over the header fields after the CRC and the payload. */
function computeCrc(bytes: Uint8Array, offset: number, length: number, salt: number): number {
  return crc32c(bytes.subarray(offset + CHECKED_HEADER_OFFSET, offset + FRAME_HEADER_SIZE + length), salt)
}

function isZero(bytes: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (bytes[i] !== 0) return false
  return true
}
