import { join } from 'node:path/posix'
import { crc32c } from './crc32.js'
import type { Vfs } from '@tinydb/vfs'
import {
  FRAME_FAULT_TEXT,
  FRAME_HEADER_SIZE,
  frameGroupFirstLsn,
  frameLength,
  frameLsn,
  framePayloadOffset,
  frameSize,
} from './frame-format.js'
import type { FrameFault } from './frame-format.js'
import { SEGMENT_HEADER_SIZE, checkSegmentHeader, parseSegmentFileName } from './segment-format.js'
import { FrameCursor } from './segment-scan.js'

/**
 * A read-only walk over the raw segment files of a log directory, for `tinydb inspect wal` and for
 * learners: every frame with where it lies and whether its checksum holds. It opens no Wal (so it
 * starts no segment and discards no tail), never throws about damage — it reports where and why
 * each segment's records end — and does not take the directory lock; the caller does.
 */

export interface WalRecordInspection {
  readonly lsn: number
  /** File name of the segment, e.g. `0000000000000001.wal`. */
  readonly segment: string
  /** Byte offset of the frame in its segment file. */
  readonly offset: number
  /** Payload bytes (the frame adds a 20-byte header and padding to 8 bytes: `frameSize`). */
  readonly length: number
  readonly frameSize: number
  /** LSN of the first record of this record's commit group (records fsynced together). */
  readonly groupFirstLsn: number
  readonly storedCrc: number
  readonly computedCrc: number
  readonly checksumOk: boolean
  readonly payload: Uint8Array
}

export interface WalSegmentInspection {
  readonly file: string
  readonly seq: number
  readonly size: number
  /** `valid`: in use; `unused`: a preallocated or recycled spare holding no records of this log. */
  readonly status: 'valid' | 'unused' | 'damaged' | 'unsupported'
  readonly detail?: string
  readonly firstLsn?: number
  readonly salt?: number
  /** Records with a valid frame, in LSN order from `firstLsn`. */
  readonly recordCount: number
  /** Where the valid frames stop, and why (`no frame (zero bytes)` is the normal end). */
  readonly endOffset?: number
  readonly endReason?: string
  readonly endFault?: FrameFault
}

export interface WalInspection {
  readonly dir: string
  readonly segments: readonly WalSegmentInspection[]
  /** The records asked for, in LSN order; a frame whose checksum fails is included, marked. */
  readonly records: readonly WalRecordInspection[]
}

export interface InspectWalOptions {
  /** Only records with an LSN >= this. Default 0 (all). */
  readonly from?: number | undefined
  /** At most this many records. Default: all. */
  readonly limit?: number | undefined
}

export async function inspectWal(vfs: Vfs, dir: string, options: InspectWalOptions = {}): Promise<WalInspection> {
  const from = options.from ?? 0
  const limit = options.limit ?? Number.POSITIVE_INFINITY
  const files = (await vfs.readdir(dir))
    .map((name) => ({ name, seq: parseSegmentFileName(name) }))
    .filter((file): file is { name: string; seq: number } => file.seq !== undefined)
    .sort((a, b) => a.seq - b.seq)
  const segments: WalSegmentInspection[] = []
  const records: WalRecordInspection[] = []
  const want = (lsn: number): boolean => lsn >= from && records.length < limit
  for (const { name, seq } of files) {
    const bytes = await readWhole(vfs, join(dir, name))
    const size = bytes.length
    const header = checkSegmentHeader(bytes.subarray(0, SEGMENT_HEADER_SIZE), seq)
    if (header.kind === 'unused') {
      segments.push({ file: name, seq, size, status: 'unused', recordCount: 0 })
      continue
    }
    if (header.kind === 'damaged' || header.kind === 'unsupported') {
      const detail = header.kind === 'damaged' ? header.what : `format version ${header.version}`
      segments.push({ file: name, seq, size, status: header.kind, detail, recordCount: 0 })
      continue
    }
    const { firstLsn, salt } = header.header
    // The same walk as recovery's (FrameCursor), so what is shown is exactly what a Wal would read.
    const cursor = new FrameCursor({ bytes, end: size, salt, firstLsn })
    for (let offset = cursor.offset; cursor.next(); offset = cursor.offset) {
      if (want(cursor.lsn)) records.push(describeFrame(bytes, name, offset, salt))
    }
    const { offset, expectedLsn } = cursor
    const fault = cursor.fault as FrameFault
    // A frame that has the expected LSN and fits but fails its checksum is shown too: it is the
    // torn (or rotten) record a learner wants to see, with both checksums.
    if (fault === 'checksum' && want(expectedLsn)) records.push(describeFrame(bytes, name, offset, salt))
    segments.push({
      file: name,
      seq,
      size,
      status: 'valid',
      firstLsn,
      salt,
      recordCount: expectedLsn - firstLsn,
      endOffset: offset,
      endReason: FRAME_FAULT_TEXT[fault],
      endFault: fault,
    })
  }
  return { dir, segments, records }
}

function describeFrame(bytes: Buffer, segment: string, offset: number, salt: number): WalRecordInspection {
  const length = frameLength(bytes, offset)
  const storedCrc = bytes.readUInt32LE(offset)
  const computedCrc = crc32c(bytes.subarray(offset + 4, offset + FRAME_HEADER_SIZE + length), salt) >>> 0
  const payloadStart = framePayloadOffset(offset)
  return {
    lsn: frameLsn(bytes, offset),
    segment,
    offset,
    length,
    frameSize: frameSize(length),
    groupFirstLsn: frameGroupFirstLsn(bytes, offset),
    storedCrc,
    computedCrc,
    checksumOk: storedCrc === computedCrc,
    payload: Uint8Array.prototype.slice.call(bytes, payloadStart, payloadStart + length),
  }
}

async function readWhole(vfs: Vfs, path: string): Promise<Buffer> {
  const file = await vfs.open(path)
  try {
    const bytes = Buffer.alloc(await file.size())
    const length = await file.read(bytes, 0)
    return bytes.subarray(0, length)
  } finally {
    await file.close()
  }
}
