import { describe, expect, it } from 'vitest'
import { CommitGroup } from '../src/commit-group.js'
import {
  FRAME_HEADER_SIZE,
  checkFrame,
  encodeFrame,
  frameGroupFirstLsn,
  frameLength,
  frameLsn,
  frameSize,
  resealFrame,
} from '../src/frame-format.js'
import {
  SEGMENT_HEADER_SIZE,
  checkSegmentHeader,
  encodeSegmentHeader,
  parseSegmentFileName,
  segmentFileName,
} from '../src/segment-format.js'
import { FrameCursor, judgeTail } from '../src/segment-scan.js'
import { payloadFor } from './support/fixtures.js'

const SALT = 0x1234abcd

function encode(bytes: Buffer, offset: number, payload: Uint8Array, lsn: number, groupIndex: number, salt: number): number {
  return encodeFrame(bytes, new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength), offset, payload, lsn, groupIndex, salt)
}

function oneFrame(payload: Uint8Array, lsn: number, groupIndex = 0, salt = SALT): Buffer {
  const bytes = Buffer.alloc(frameSize(payload.length) + 8, 0xee)
  const end = encode(bytes, 0, payload, lsn, groupIndex, salt)
  expect(end).toBe(frameSize(payload.length))
  return bytes.subarray(0, end)
}

describe('frame format', () => {
  it('pads frames to 8 bytes', () => {
    expect(frameSize(0)).toBe(24)
    expect(frameSize(4)).toBe(24)
    expect(frameSize(5)).toBe(32)
    expect(frameSize(100)).toBe(120)
  })

  it('encodes and decodes a frame, zeroing the padding', () => {
    const payload = payloadFor(42, 13)
    const bytes = oneFrame(payload, 42, 3)
    expect(checkFrame(bytes, 0, bytes.length, SALT, 1, 42)).toBeUndefined()
    expect(frameLength(bytes, 0)).toBe(13)
    expect(frameLsn(bytes, 0)).toBe(42)
    expect(frameGroupFirstLsn(bytes, 0)).toBe(39)
    expect(bytes.subarray(FRAME_HEADER_SIZE, FRAME_HEADER_SIZE + 13)).toEqual(Buffer.from(payload))
    expect([...bytes.subarray(FRAME_HEADER_SIZE + 13)]).toEqual([0, 0, 0, 0, 0, 0, 0])
  })

  it('stores LSNs above 2^32', () => {
    const lsn = 2 ** 40 + 7
    const bytes = oneFrame(new Uint8Array(1), lsn)
    expect(frameLsn(bytes, 0)).toBe(lsn)
    expect(checkFrame(bytes, 0, bytes.length, SALT, lsn, lsn)).toBeUndefined()
  })

  it('names what is wrong with a bad frame', () => {
    const good = () => Buffer.from(oneFrame(payloadFor(9, 30), 9, 1))
    const check = (bytes: Buffer, end = bytes.length, salt = SALT, expected = 9) => checkFrame(bytes, 0, end, salt, 5, expected)
    expect(check(Buffer.alloc(48))).toBe('zeros')
    expect(check(good(), 10)).toBe('truncated')
    expect(check(good(), 40)).toBe('length')
    expect(check(good(), undefined, SALT, 10)).toBe('lsn')
    expect(checkFrame(good(), 0, 56, SALT, 9, 9)).toBe('group') // its group started at lsn 8, before the segment
    expect(check(good(), undefined, SALT + 1)).toBe('checksum')
    for (const offset of [4, 16, 20, 49]) {
      const bytes = good()
      bytes[offset] = (bytes[offset] as number) ^ 1
      expect(check(bytes), `flip at ${offset}`).not.toBeUndefined()
    }
  })

  it('reseals a frame for another salt', () => {
    const bytes = Buffer.from(oneFrame(payloadFor(3, 17), 3))
    resealFrame(bytes, 0, SALT + 99)
    expect(checkFrame(bytes, 0, bytes.length, SALT, 1, 3)).toBe('checksum')
    expect(checkFrame(bytes, 0, bytes.length, SALT + 99, 1, 3)).toBeUndefined()
  })
})

describe('commit group', () => {
  it('encodes records back to back and moves them to a new segment with its salt', () => {
    const group = new CommitGroup()
    group.begin(10, 500, SALT, false)
    for (let lsn = 10; lsn < 15; lsn++) group.add(payloadFor(lsn, lsn * 3), lsn)
    expect(group.count).toBe(5)
    expect(group.lastLsn).toBe(14)
    group.moveToNewSegment(SEGMENT_HEADER_SIZE, 77)
    expect(group).toMatchObject({ offset: SEGMENT_HEADER_SIZE, salt: 77, startsSegment: true })
    const cursor = new FrameCursor({ bytes: Buffer.concat([Buffer.alloc(SEGMENT_HEADER_SIZE), group.bytes.subarray(0, group.length)]), end: SEGMENT_HEADER_SIZE + group.length, salt: 77, firstLsn: 10 })
    const seen: number[] = []
    while (cursor.next()) {
      seen.push(cursor.lsn)
      expect(cursor.payloadLength).toBe(cursor.lsn * 3)
    }
    expect(seen).toEqual([10, 11, 12, 13, 14])
    expect(cursor.fault).toBe('zeros')
  })

  it('grows its buffer for a large group and gives it back after', () => {
    const group = new CommitGroup()
    group.begin(1, SEGMENT_HEADER_SIZE, SALT, true)
    group.add(new Uint8Array(5 * 1024 * 1024), 1)
    expect(group.bytes.length).toBeGreaterThanOrEqual(5 * 1024 * 1024)
    group.reset()
    expect(group.bytes.length).toBeLessThan(1024 * 1024)
  })
})

describe('torn tail judgement', () => {
  // A segment holding records 1..6, written as groups [1], [2], [3..6].
  function segment(): Buffer {
    const bytes = Buffer.alloc(8192)
    let at = SEGMENT_HEADER_SIZE
    at = encode(bytes, at, payloadFor(1, 40), 1, 0, SALT)
    at = encode(bytes, at, payloadFor(2, 40), 2, 0, SALT)
    for (let lsn = 3; lsn <= 6; lsn++) at = encode(bytes, at, payloadFor(lsn, 40), lsn, lsn - 3, SALT)
    return bytes
  }
  const frame = frameSize(40)
  const offsetOf = (lsn: number) => SEGMENT_HEADER_SIZE + (lsn - 1) * frame
  const view = (bytes: Buffer) => ({ bytes, end: bytes.length, salt: SALT, firstLsn: 1 })

  it('calls damage to the last group with later frames of that group a torn tail', () => {
    const bytes = segment()
    bytes.fill(0, offsetOf(4), offsetOf(5))
    expect(judgeTail(view(bytes), offsetOf(4), 4)).toEqual({ kind: 'torn', discardedBytes: 3 * frame })
  })

  it('calls damage followed by a frame of a later group corruption', () => {
    const bytes = segment()
    bytes[offsetOf(2) + 30] = (bytes[offsetOf(2) + 30] as number) ^ 4
    expect(judgeTail(view(bytes), offsetOf(2), 2)).toEqual({ kind: 'damaged', laterOffset: offsetOf(3), laterLsn: 3 })
    // The same in a buffer that does not start at a word boundary (the scan's slower path).
    const misaligned = Buffer.alloc(bytes.length + 1).subarray(1)
    bytes.copy(misaligned)
    expect(misaligned.byteOffset % 4).not.toBe(0)
    expect(judgeTail(view(misaligned), offsetOf(2), 2)).toEqual({ kind: 'damaged', laterOffset: offsetOf(3), laterLsn: 3 })
  })

  it('finds later frames past long zero runs, at any aligned offset', () => {
    const bytes = Buffer.alloc(20000)
    encode(bytes, SEGMENT_HEADER_SIZE, payloadFor(1, 40), 1, 0, SALT)
    encode(bytes, 4096 * 3 - 8, payloadFor(5, 40), 5, 0, SALT)
    expect(judgeTail(view(bytes), offsetOf(2), 2)).toEqual({ kind: 'damaged', laterOffset: 4096 * 3 - 8, laterLsn: 5 })
  })

  it('ignores frames of an older incarnation and frames with lower LSNs', () => {
    const bytes = segment()
    encode(bytes, 4096, payloadFor(9, 40), 9, 0, SALT + 1)
    encode(bytes, 4096 + 64, payloadFor(1, 40), 1, 0, SALT)
    expect(judgeTail(view(bytes), offsetOf(7), 7)).toEqual({ kind: 'torn', discardedBytes: 0 })
  })
})

describe('segment header', () => {
  it('names segment files so they sort in log order', () => {
    expect(segmentFileName(1)).toBe('0000000000000001.wal')
    expect(segmentFileName(0xabc)).toBe('0000000000000abc.wal')
    expect(parseSegmentFileName('0000000000000abc.wal')).toBe(0xabc)
    expect(parseSegmentFileName('abc.wal')).toBeUndefined()
    expect(parseSegmentFileName('0000000000000000.wal')).toBeUndefined()
    expect(parseSegmentFileName('0000000000000001.wal.tmp')).toBeUndefined()
  })

  it('round-trips and classifies headers', () => {
    const header = { seq: 7, firstLsn: 2 ** 33 + 5, salt: 0xfeedbeef }
    const bytes = encodeSegmentHeader(header)
    expect(bytes.length).toBe(SEGMENT_HEADER_SIZE)
    expect(checkSegmentHeader(bytes, 7)).toEqual({ kind: 'valid', header })
    // A recycled file renamed to seq 9 whose new header was never written.
    expect(checkSegmentHeader(bytes, 9)).toEqual({ kind: 'unused' })
    expect(checkSegmentHeader(new Uint8Array(SEGMENT_HEADER_SIZE), 7)).toEqual({ kind: 'unused' })
    expect(checkSegmentHeader(new Uint8Array(5), 7)).toEqual({ kind: 'unused' })
    expect(checkSegmentHeader(bytes.subarray(0, 20), 7)).toMatchObject({ kind: 'damaged' })
    for (const offset of [0, 5, 8, 16, 24, 28]) {
      const flipped = Buffer.from(bytes)
      flipped[offset] = (flipped[offset] as number) ^ 0x40
      expect(checkSegmentHeader(flipped, 7), `flip at ${offset}`).toMatchObject({ kind: 'damaged' })
    }
  })
})
