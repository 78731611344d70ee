import {
  FRAME_ALIGNMENT,
  FRAME_LSN_OFFSET,
  checkFrame,
  frameGroupFirstLsn,
  frameLength,
  frameLsn,
  framePayloadOffset,
  frameSize,
  type FrameFault,
} from './frame-format.js'
import { SEGMENT_HEADER_SIZE } from './segment-format.js'

/** The bytes of one segment file, with what its header says. */
export interface SegmentBytes {
  readonly bytes: Buffer
  /** Bytes of `bytes` that hold file content. */
  readonly end: number
  readonly salt: number
  readonly firstLsn: number
}

/**
 * Walks a segment's frames in LSN order. Frames are accepted only with exactly the next LSN: stale
 * frames of an earlier incarnation of a recycled file always carry lower LSNs (and another salt),
 * so they can never be mistaken for the continuation of the log.
 */
export class FrameCursor {
  /** Offset of the next frame to check (after a failed `next()`: of the frame that failed). */
  offset = SEGMENT_HEADER_SIZE
  expectedLsn: number
  /** Why the last `next()` returned false. */
  fault: FrameFault | undefined
  /** The record `next()` accepted last. */
  lsn = 0
  payloadOffset = 0
  payloadLength = 0

  constructor(private readonly segment: SegmentBytes) {
    this.expectedLsn = segment.firstLsn
  }

  next(): boolean {
    const { bytes, end, salt, firstLsn } = this.segment
    const fault = checkFrame(bytes, this.offset, end, salt, firstLsn, this.expectedLsn)
    if (fault !== undefined) {
      this.fault = fault
      return false
    }
    this.lsn = this.expectedLsn++
    this.payloadLength = frameLength(bytes, this.offset)
    this.payloadOffset = framePayloadOffset(this.offset)
    this.offset += frameSize(this.payloadLength)
    return true
  }
}

export type TailVerdict =
  | { readonly kind: 'torn'; readonly discardedBytes: number }
  | { readonly kind: 'damaged'; readonly laterOffset: number; readonly laterLsn: number }

const ZERO_BLOCK = Buffer.alloc(4096)
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1
const MIN_FRAME_SIZE = frameSize(0)
const LSN_FIELD_END = FRAME_LSN_OFFSET + 8

/**
 * Decides what the invalid frame at `badOffset` (where record `expectedLsn` should be) of the LAST
 * segment means. Groups are written one at a time and each only after every earlier group is
 * durable, and every open appends to a new segment, so a frame of a LATER commit group lying beyond
 * the bad frame proves the bad frame was durable once: that is corruption. Otherwise the bytes are
 * the torn remains of the group that was being written at the crash, never acknowledged.
 *
 * `discardedBytes` counts what is evidently that torn group: the bad frame when its header names
 * `expectedLsn`, and any frame of the same group that still validates beyond it.
 */
export function judgeTail(segment: SegmentBytes, badOffset: number, expectedLsn: number): TailVerdict {
  const { bytes, end, salt, firstLsn } = segment
  let evidenceEnd = badOffset
  if (end - badOffset >= LSN_FIELD_END && frameLsn(bytes, badOffset) === expectedLsn) {
    evidenceEnd = Math.min(end, badOffset + frameSize(frameLength(bytes, badOffset)))
  }
  // No frame beyond can carry an LSN past this: the segment has no room for more frames.
  const highestPossibleLsn = expectedLsn + Math.floor((end - badOffset) / MIN_FRAME_SIZE)
  // Most offsets hold zeros or stale bytes; their LSN field is read as two words, which is what
  // keeps scanning a whole recycled segment cheap.
  const words = LITTLE_ENDIAN && bytes.byteOffset % 4 === 0 ? new Uint32Array(bytes.buffer, bytes.byteOffset, end >>> 2) : undefined
  for (let offset = badOffset + FRAME_ALIGNMENT; offset + LSN_FIELD_END <= end; offset += FRAME_ALIGNMENT) {
    if (offset % ZERO_BLOCK.length === 0 && offset + ZERO_BLOCK.length <= end && bytes.compare(ZERO_BLOCK, 0, ZERO_BLOCK.length, offset, offset + ZERO_BLOCK.length) === 0) {
      // A frame starting before the block's last LSN field would have LSN 0: skip to there.
      offset += ZERO_BLOCK.length - LSN_FIELD_END - FRAME_ALIGNMENT
      continue
    }
    const lsn = words === undefined ? frameLsn(bytes, offset) : (words[(offset + FRAME_LSN_OFFSET) >>> 2] as number) + (words[(offset + FRAME_LSN_OFFSET + 4) >>> 2] as number) * 2 ** 32
    if (lsn <= expectedLsn || lsn > highestPossibleLsn) continue
    if (checkFrame(bytes, offset, end, salt, firstLsn, undefined) !== undefined) continue
    if (frameGroupFirstLsn(bytes, offset) > expectedLsn) return { kind: 'damaged', laterOffset: offset, laterLsn: lsn }
    evidenceEnd = Math.max(evidenceEnd, offset + frameSize(frameLength(bytes, offset)))
  }
  return { kind: 'torn', discardedBytes: evidenceEnd - badOffset }
}
