import { crc32c } from './crc32.js'

/**
 * The segment header: the first `SEGMENT_HEADER_SIZE` bytes of every segment file. Frames follow
 * it directly. See FORMAT.md.
 *
 * | offset | size | field        |
 * |--------|------|--------------|
 * | 0      | 4    | magic        |
 * | 4      | 2    | version      |
 * | 6      | 2    | flags (0)    |
 * | 8      | 8    | segment seq  |
 * | 16     | 8    | first LSN    |
 * | 24     | 4    | salt         |
 * | 28     | 4    | header CRC32C of bytes 0..28 |
 *
 * Integers are little-endian; a u64 is stored as low u32 then high u32 and must be a safe integer.
 */
export const SEGMENT_MAGIC = 0x4c415754 // the bytes 'T' 'W' 'A' 'L'
export const SEGMENT_FORMAT_VERSION = 1
export const SEGMENT_HEADER_SIZE = 32

const MAGIC_OFFSET = 0
const VERSION_OFFSET = 4
const FLAGS_OFFSET = 6
const SEQ_OFFSET = 8
const FIRST_LSN_OFFSET = 16
const SALT_OFFSET = 24
const HEADER_CRC_OFFSET = 28

const SEGMENT_NAME = /^([0-9a-f]{16})\.wal$/
const SEQ_DIGITS = 16

export interface SegmentHeader {
  /** The segment's number; its file is `segmentFileName(seq)`, so file names sort in log order. */
  readonly seq: number
  /** The LSN of the segment's first frame; frames follow contiguously from it. */
  readonly firstLsn: number
  /**
   * Random per incarnation of the file and mixed into every frame CRC, so frames left by an earlier
   * use of a recycled file never validate in the new one.
   */
  readonly salt: number
}

/**
 * How a header read from disk classifies:
 * - `valid`: written by us, for this file name.
 * - `unused`: a file that holds no records: all zero (preallocated, header never written), shorter
 *   than a header and zero, or a valid header naming another seq (a recycled file renamed to a new
 *   seq whose new header was never written). Legitimate only after the last valid segment.
 * - `unsupported`: a valid header of another format version.
 * - `damaged`: anything else; since a header is written and synced on its own, inside one sector,
 *   before any frame of its segment, no crash produces this.
 */
export type HeaderCheck =
  | { readonly kind: 'valid'; readonly header: SegmentHeader }
  | { readonly kind: 'unused' }
  | { readonly kind: 'unsupported'; readonly version: number }
  | { readonly kind: 'damaged'; readonly what: string }

export function segmentFileName(seq: number): string {
  return `${seq.toString(16).padStart(SEQ_DIGITS, '0')}.wal`
}

/** The seq a segment file name encodes, or undefined for a name that is not a segment. */
export function parseSegmentFileName(name: string): number | undefined {
  const match = SEGMENT_NAME.exec(name)
  if (match === null) return undefined
  const seq = Number.parseInt(match[1] as string, 16)
  return Number.isSafeInteger(seq) && seq > 0 ? seq : undefined
}

export function encodeSegmentHeader(header: SegmentHeader): Buffer {
  const bytes = Buffer.alloc(SEGMENT_HEADER_SIZE)
  bytes.writeUInt32LE(SEGMENT_MAGIC, MAGIC_OFFSET)
  bytes.writeUInt16LE(SEGMENT_FORMAT_VERSION, VERSION_OFFSET)
  bytes.writeUInt16LE(0, FLAGS_OFFSET)
  writeU64(bytes, SEQ_OFFSET, header.seq)
  writeU64(bytes, FIRST_LSN_OFFSET, header.firstLsn)
  bytes.writeUInt32LE(header.salt >>> 0, SALT_OFFSET)
  bytes.writeUInt32LE(crc32c(bytes.subarray(0, HEADER_CRC_OFFSET)), HEADER_CRC_OFFSET)
  return bytes
}

/** Classifies the first bytes of the segment file named by `expectedSeq` (fewer bytes for a short file). */
export function checkSegmentHeader(bytes: Uint8Array, expectedSeq: number): HeaderCheck {
  if (bytes.every((byte) => byte === 0)) return { kind: 'unused' }
  if (bytes.length < SEGMENT_HEADER_SIZE) return { kind: 'damaged', what: `header is cut short at ${bytes.length} bytes` }
  const header = Buffer.from(bytes.buffer, bytes.byteOffset, SEGMENT_HEADER_SIZE)
  if (header.readUInt32LE(MAGIC_OFFSET) !== SEGMENT_MAGIC) return { kind: 'damaged', what: 'bad segment magic' }
  const storedCrc = header.readUInt32LE(HEADER_CRC_OFFSET)
  if (crc32c(header.subarray(0, HEADER_CRC_OFFSET)) !== storedCrc) return { kind: 'damaged', what: 'segment header checksum mismatch' }
  const version = header.readUInt16LE(VERSION_OFFSET)
  if (version !== SEGMENT_FORMAT_VERSION) return { kind: 'unsupported', version }
  const seq = readU64(header, SEQ_OFFSET)
  const firstLsn = readU64(header, FIRST_LSN_OFFSET)
  if (seq === undefined || firstLsn === undefined || firstLsn < 1) return { kind: 'damaged', what: 'segment header fields out of range' }
  if (header.readUInt16LE(FLAGS_OFFSET) !== 0) return { kind: 'damaged', what: 'unknown segment header flags' }
  if (seq !== expectedSeq) return { kind: 'unused' }
  return { kind: 'valid', header: { seq, firstLsn, salt: header.readUInt32LE(SALT_OFFSET) } }
}

/** Stores a safe integer as a u64 (low u32, then high u32). */
export function writeU64(bytes: Buffer, offset: number, value: number): void {
  bytes.writeUInt32LE(value >>> 0, offset)
  bytes.writeUInt32LE(Math.floor(value / 2 ** 32), offset + 4)
}

/** A stored u64, or undefined when it exceeds Number.MAX_SAFE_INTEGER. */
export function readU64(bytes: Buffer, offset: number): number | undefined {
  const high = bytes.readUInt32LE(offset + 4)
  if (high >= 2 ** 21) return undefined
  return high * 2 ** 32 + bytes.readUInt32LE(offset)
}
