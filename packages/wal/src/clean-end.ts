import { crc32c } from './crc32.js'
import { join } from 'node:path'
import type { Vfs } from '@tinydb/vfs'
import { closeInBackground } from './close-in-background.js'
import { FRAME_ALIGNMENT } from './frame-format.js'
import { SEGMENT_HEADER_SIZE, readU64, writeU64 } from './segment-format.js'

/**
 * The clean-end record: where the log ended when it was last closed cleanly, so the next open can
 * skip scanning (reading and CRC-checking) the whole last segment — 8 MiB by default, milliseconds.
 * See FORMAT.md, "Clean end".
 *
 * | offset | size | field                                      |
 * |--------|------|--------------------------------------------|
 * | 0      | 4    | magic `0x45435754` (`T` `W` `C` `E`)        |
 * | 4      | 2    | version (1)                                |
 * | 6      | 2    | flags (0)                                  |
 * | 8      | 8    | seq of the last segment                    |
 * | 16     | 8    | its first LSN                              |
 * | 24     | 4    | its salt                                   |
 * | 28     | 4    | zero                                       |
 * | 32     | 8    | end offset: just past its last frame       |
 * | 40     | 8    | LSN of its last frame (first LSN − 1: none) |
 * | 48     | 4    | CRC32C of bytes 0..48                      |
 *
 * Why it can be trusted without being synced: it is written at close, after every frame of the
 * segment it names is durable, and it is believed only when that segment (same seq, first LSN and
 * salt) is still the LAST segment in use. Every open appends to a new segment whose header is made
 * durable before any frame, so once anything was appended after the record was written, the
 * segment it names is no longer the last and the record is ignored. A lost or torn record costs
 * only the scan it would have saved (the CRC rejects a torn one).
 */
export const CLEAN_END_FILE = 'clean-end'
export const CLEAN_END_MAGIC = 0x45435754
export const CLEAN_END_VERSION = 1
export const CLEAN_END_SIZE = 52

const SEQ_OFFSET = 8
const FIRST_LSN_OFFSET = 16
const SALT_OFFSET = 24
const END_OFFSET_OFFSET = 32
const LAST_LSN_OFFSET = 40
const CRC_OFFSET = 48

export interface CleanEnd {
  readonly seq: number
  readonly firstLsn: number
  readonly salt: number
  readonly endOffset: number
  readonly lastLsn: number
}

export function encodeCleanEnd(record: CleanEnd): Buffer {
  const bytes = Buffer.alloc(CLEAN_END_SIZE)
  bytes.writeUInt32LE(CLEAN_END_MAGIC, 0)
  bytes.writeUInt16LE(CLEAN_END_VERSION, 4)
  writeU64(bytes, SEQ_OFFSET, record.seq)
  writeU64(bytes, FIRST_LSN_OFFSET, record.firstLsn)
  bytes.writeUInt32LE(record.salt >>> 0, SALT_OFFSET)
  writeU64(bytes, END_OFFSET_OFFSET, record.endOffset)
  writeU64(bytes, LAST_LSN_OFFSET, record.lastLsn)
  bytes.writeUInt32LE(crc32c(bytes.subarray(0, CRC_OFFSET)), CRC_OFFSET)
  return bytes
}

/** The record in `bytes`, or undefined when it is absent, torn, of another version or inconsistent. */
export function decodeCleanEnd(bytes: Buffer): CleanEnd | undefined {
  if (bytes.length < CLEAN_END_SIZE) return undefined
  if (bytes.readUInt32LE(0) !== CLEAN_END_MAGIC || bytes.readUInt16LE(4) !== CLEAN_END_VERSION || bytes.readUInt16LE(6) !== 0) return undefined
  if (crc32c(bytes.subarray(0, CRC_OFFSET)) !== bytes.readUInt32LE(CRC_OFFSET)) return undefined
  const seq = readU64(bytes, SEQ_OFFSET)
  const firstLsn = readU64(bytes, FIRST_LSN_OFFSET)
  const endOffset = readU64(bytes, END_OFFSET_OFFSET)
  const lastLsn = readU64(bytes, LAST_LSN_OFFSET)
  if (seq === undefined || firstLsn === undefined || endOffset === undefined || lastLsn === undefined) return undefined
  if (firstLsn < 1 || lastLsn < firstLsn - 1 || endOffset < SEGMENT_HEADER_SIZE || endOffset % FRAME_ALIGNMENT !== 0) return undefined
  return { seq, firstLsn, salt: bytes.readUInt32LE(SALT_OFFSET), endOffset, lastLsn }
}

/** Reads the clean-end record of `dir`; undefined when there is none or it does not decode. */
export async function readCleanEnd(vfs: Vfs, dir: string): Promise<CleanEnd | undefined> {
  const path = join(dir, CLEAN_END_FILE)
  if (!(await vfs.exists(path))) return undefined
  const file = await vfs.open(path)
  try {
    const bytes = Buffer.alloc(CLEAN_END_SIZE)
    return decodeCleanEnd(bytes.subarray(0, file.readSync(bytes, 0)))
  } finally {
    closeInBackground(file)
  }
}

/**
 * Writes the record, in place, without a sync (see above for why none is needed). Best effort: a
 * failure leaves at worst a torn record, which the next open ignores. On the calling thread: 52
 * bytes into the OS page cache take microseconds, where the trip through Node's thread pool took
 * 1.1–1.4 ms of a 2.6–3.6 ms close right after a workload (compare's W6).
 */
export async function writeCleanEnd(vfs: Vfs, dir: string, record: CleanEnd): Promise<void> {
  const file = await vfs.open(join(dir, CLEAN_END_FILE), { create: true })
  try {
    file.writeSync(encodeCleanEnd(record), 0)
  } finally {
    await file.close()
  }
}
