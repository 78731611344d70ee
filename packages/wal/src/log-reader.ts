import { corruption, type Vfs } from '@tinydb/vfs'
import { FRAME_FAULT_TEXT } from './frame-format.js'
import { readSegmentFile, type Segment } from './segment-directory.js'
import { FrameCursor } from './segment-scan.js'
import type { WalRecord } from './types.js'

/**
 * Yields every record from `fromLsn` to `lastLsn` (the last acknowledged one) in order, verifying
 * every frame of each segment it reads. A segment must hold every LSN up to the next segment's
 * first LSN minus one: the next segment was started only after those were durable (or, after a
 * crash, exactly at the recovered end), so a frame that fails before that point is damage to
 * durable records and is reported, never skipped.
 *
 * The one exception is a segment `dropBefore` removed while this iteration ran (`isLive` says no
 * more): its file may be gone or already recycled, and the caller said its records are not needed.
 */
export async function* readRecords(
  vfs: Vfs,
  segments: readonly Segment[],
  fromLsn: number,
  lastLsn: number,
  isLive: (segment: Segment) => boolean,
): AsyncGenerator<WalRecord> {
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index] as Segment
    const next = segments[index + 1]
    const segmentLastLsn = Math.min(next === undefined ? lastLsn : next.firstLsn - 1, lastLsn)
    if (segmentLastLsn < fromLsn || segmentLastLsn < segment.firstLsn) continue
    let bytes: Buffer
    try {
      bytes = await readSegmentFile(vfs, segment.path, segment.endOffset)
    } catch (error) {
      if (!isLive(segment)) continue
      throw error
    }
    const cursor = new FrameCursor({ bytes, end: bytes.length, salt: segment.salt, firstLsn: segment.firstLsn })
    while (cursor.expectedLsn <= segmentLastLsn) {
      if (!cursor.next()) {
        if (!isLive(segment)) break
        const evidence = next === undefined ? `records up to lsn ${lastLsn} were written` : `the next segment ${next.path} starts at lsn ${next.firstLsn}`
        throw corruption(
          { file: segment.path, offset: cursor.offset },
          `record lsn ${cursor.expectedLsn} is unreadable (${FRAME_FAULT_TEXT[cursor.fault ?? 'zeros']}), yet ${evidence}`,
        )
      }
      if (cursor.lsn >= fromLsn) {
        yield { lsn: cursor.lsn, payload: new Uint8Array(bytes.buffer, bytes.byteOffset + cursor.payloadOffset, cursor.payloadLength) }
      }
    }
  }
}
