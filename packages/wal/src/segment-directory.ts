import { dirname, join } from 'node:path'
import { TinyDbError, corruption, type Vfs } from '@tinydb/vfs'
import { FRAME_FAULT_TEXT, FRAME_HEADER_SIZE, frameGroupFirstLsn, frameLsn } from './frame-format.js'
import { SEGMENT_FORMAT_VERSION, SEGMENT_HEADER_SIZE, checkSegmentHeader, parseSegmentFileName, segmentFileName, type HeaderCheck } from './segment-format.js'
import { FrameCursor, judgeTail } from './segment-scan.js'
import { readCleanEnd, type CleanEnd } from './clean-end.js'
import { closeInBackground } from './close-in-background.js'

/** A segment holding records (its header is valid and durable). */
export interface Segment {
  readonly seq: number
  readonly path: string
  readonly firstLsn: number
  readonly salt: number
  /** End of the last good frame, when known: scanned at open, or written by this process. */
  endOffset: number | undefined
  /** LSN of the last good frame, when known (as `endOffset`). */
  lastLsn: number | undefined
  /** File size when listed, for estimates when `endOffset` is unknown. */
  readonly size: number
  /**
   * Set at open when the end was found by scanning rather than read from a clean-end record: the
   * offset of the last commit group. That group and the header may be bytes the OS shows although
   * a failed fdatasync never wrote them (fsyncgate), so they are rewritten and synced before
   * anything is built on them (`SegmentWriter.confirmRecoveredTail`).
   */
  unconfirmedFrom?: number | undefined
}

/** A file that holds no records and can take a header: preallocated ahead of need, or recycled. */
export interface Spare {
  readonly seq: number
  readonly path: string
  /**
   * Bytes the file is known to hold, written (zeros or old frames: no block left to allocate) and
   * synced, with its directory entry synced; 0 until this open has checked or prepared it.
   */
  preparedSize: number
}

/** What open found: the log's segments, the spare files after them, and where the log ends. */
export interface LogDirectory {
  readonly segments: Segment[]
  readonly spares: Spare[]
  /** The seq for the next file to create. */
  readonly nextSeq: number
  readonly firstLsn: number
  readonly lastLsn: number
  readonly discardedTailBytes: number
}

interface Listed {
  readonly seq: number
  readonly path: string
  readonly size: number
  readonly check: HeaderCheck
  /** The header followed by the first frame header's bytes, as far as the file has them. */
  readonly head: Buffer
}

export function segmentPath(dir: string, seq: number): string {
  return join(dir, segmentFileName(seq))
}

/**
 * Lists the segment files of `dir` (created if missing), checks their headers, and scans the last
 * segment to find where the log ends — unless the log was closed cleanly and nothing was appended
 * since, in which case the clean-end record says where it ends (clean-end.ts). Earlier segments are
 * not read here — `Wal.read` verifies them — which keeps open cheap: it reads at most one segment
 * however long the log is.
 */
export async function scanDirectory(vfs: Vfs, dir: string, durable: boolean): Promise<LogDirectory> {
  // Every step below is a trip through Node's thread pool (~0.3–0.7 ms each in a reopen, where the
  // pager's open is busy on the same thread), so open keeps the chain short: the clean-end record is
  // read alongside the listing, the headers concurrently, each with one synchronous read, and a
  // read-only handle's close is not waited for. A missing directory is found by the failed listing
  // rather than asked about first: reopening an existing log is the common case.
  const clean = readCleanEnd(vfs, dir)
  clean.catch(() => undefined) // awaited below; a failure must not go unhandled meanwhile
  let names = await vfs.readdir(dir).catch(() => undefined)
  if (names === undefined) {
    await createDirectory(vfs, dir, durable)
    names = await vfs.readdir(dir)
  }
  const seqs: number[] = []
  for (const name of names) {
    const seq = parseSegmentFileName(name)
    if (seq !== undefined) seqs.push(seq)
  }
  const [listed, cleanEnd] = await Promise.all([Promise.all(seqs.map((seq) => listSegment(vfs, segmentPath(dir, seq), seq))), clean])
  listed.sort((a, b) => a.seq - b.seq)

  const segments: Segment[] = []
  const spares: Spare[] = []
  for (const file of listed) {
    const { check } = file
    if (check.kind === 'damaged') throw corruption({ file: file.path, offset: 0 }, check.what)
    if (check.kind === 'unsupported') {
      throw new TinyDbError('UNSUPPORTED_FORMAT', `${file.path} is a log segment of format version ${check.version}; this build reads version ${SEGMENT_FORMAT_VERSION}`, { file: file.path })
    }
    if (check.kind === 'unused') {
      // Sorted after every segment in use, only as spares (see segment-format.ts).
      spares.push({ seq: file.seq, path: file.path, preparedSize: 0 })
      continue
    }
    const spare = spares[0]
    if (spare !== undefined) throw corruption({ file: spare.path, offset: 0 }, `segment header is missing, yet the later segment ${file.path} is in use`)
    const previous = segments[segments.length - 1]
    if (previous !== undefined && check.header.firstLsn < previous.firstLsn) {
      throw corruption({ file: file.path, offset: 0 }, `segment starts at lsn ${check.header.firstLsn}, before the previous segment's lsn ${previous.firstLsn}`)
    }
    segments.push({ ...check.header, path: file.path, size: file.size, endOffset: undefined, lastLsn: undefined })
  }

  const last = segments[segments.length - 1]
  const { lastLsn, discardedTailBytes } =
    last !== undefined && cleanEnd !== undefined && describesSegment(cleanEnd, last) ? endFromCleanEnd(last, cleanEnd) : await scanLastSegment(vfs, last)
  const firstSpare = listed.find((file) => file.path === spares[0]?.path)
  if (firstSpare !== undefined) checkSpareIsUnused(firstSpare, lastLsn + 1)
  return {
    segments,
    spares,
    nextSeq: (listed[listed.length - 1]?.seq ?? 0) + 1,
    firstLsn: segments[0]?.firstLsn ?? lastLsn + 1,
    lastLsn,
    discardedTailBytes,
  }
}

/**
 * Creates `dir` and its missing parents. A new directory's entry is durable only once its parent is
 * synced: without that, a power cut could take the directory, and every acknowledged record in
 * it, away.
 */
async function createDirectory(vfs: Vfs, dir: string, durable: boolean): Promise<void> {
  const missing: string[] = []
  for (let path = dir; !(await vfs.exists(path)); path = dirname(path)) {
    missing.unshift(path)
    if (dirname(path) === path) break
  }
  if (missing.length === 0) return
  await vfs.mkdir(dir)
  if (durable) for (const created of missing) await vfs.syncDir(dirname(created))
}

async function listSegment(vfs: Vfs, path: string, seq: number): Promise<Listed> {
  const file = await vfs.open(path)
  try {
    const sized = file.size()
    const buffer = Buffer.alloc(SEGMENT_HEADER_SIZE + FRAME_HEADER_SIZE)
    const head = buffer.subarray(0, file.readSync(buffer, 0))
    const size = await sized
    return { seq, path, size, head, check: checkSegmentHeader(head.subarray(0, SEGMENT_HEADER_SIZE), seq) }
  } finally {
    closeInBackground(file)
  }
}

/**
 * Finds the end of the log in its last segment. The first frame that fails is either the torn
 * tail of the group being written at a crash (discarded) or damage to durable records (thrown):
 * see `judgeTail`.
 */
async function scanLastSegment(vfs: Vfs, segment: Segment | undefined): Promise<{ lastLsn: number; discardedTailBytes: number }> {
  if (segment === undefined) return { lastLsn: 0, discardedTailBytes: 0 }
  const bytes = await readSegmentFile(vfs, segment.path, undefined)
  const view = { bytes, end: bytes.length, salt: segment.salt, firstLsn: segment.firstLsn }
  const cursor = new FrameCursor(view)
  let lastGroupOffset = SEGMENT_HEADER_SIZE
  for (let at = cursor.offset; cursor.next(); at = cursor.offset) {
    if (frameGroupFirstLsn(bytes, at) === cursor.lsn) lastGroupOffset = at
  }
  const verdict = judgeTail(view, cursor.offset, cursor.expectedLsn)
  if (verdict.kind === 'damaged') {
    throw corruption(
      { file: segment.path, offset: cursor.offset },
      `record lsn ${cursor.expectedLsn} is unreadable (${FRAME_FAULT_TEXT[cursor.fault ?? 'zeros']}), ` +
        `yet record lsn ${verdict.laterLsn} of a later commit group is intact at offset ${verdict.laterOffset}`,
    )
  }
  segment.endOffset = cursor.offset
  segment.lastLsn = cursor.expectedLsn - 1
  segment.unconfirmedFrom = lastGroupOffset
  return { lastLsn: segment.lastLsn, discardedTailBytes: verdict.discardedBytes }
}

/**
 * True when the clean-end record names `segment` — the last segment in use — in this incarnation
 * (seq, first LSN and salt all match): nothing was appended since it was written (see clean-end.ts).
 */
function describesSegment(clean: CleanEnd, segment: Segment): boolean {
  return clean.seq === segment.seq && clean.firstLsn === segment.firstLsn && clean.salt === segment.salt && clean.endOffset <= segment.size
}

/** The end of the log as the clean-end record states it: no scan, nothing discarded. */
function endFromCleanEnd(segment: Segment, clean: CleanEnd): { lastLsn: number; discardedTailBytes: number } {
  segment.endOffset = clean.endOffset
  segment.lastLsn = clean.lastLsn
  return { lastLsn: clean.lastLsn, discardedTailBytes: 0 }
}

/**
 * A segment's header is written and synced before any frame goes in, so a spare right after the
 * last segment that holds the log's next record at its first frame lost a durable header.
 */
function checkSpareIsUnused(spare: Listed, nextLsn: number): void {
  const at = SEGMENT_HEADER_SIZE
  if (spare.head.length < at + FRAME_HEADER_SIZE) return
  if (frameLsn(spare.head, at) === nextLsn && frameGroupFirstLsn(spare.head, at) === nextLsn) {
    throw corruption({ file: spare.path, offset: 0 }, `segment header is missing, yet the segment holds record lsn ${nextLsn}`)
  }
}

/** The file's bytes, up to `end` when given. */
export async function readSegmentFile(vfs: Vfs, path: string, end: number | undefined): Promise<Buffer> {
  const file = await vfs.open(path)
  try {
    const size = await file.size()
    const bytes = Buffer.allocUnsafe(end === undefined ? size : Math.min(size, end))
    const read = await file.read(bytes, 0)
    return read === bytes.length ? bytes : bytes.subarray(0, read)
  } finally {
    await file.close()
  }
}
