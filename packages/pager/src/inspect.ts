import { TinyDbError } from '@tinydb/vfs'
import type { Vfs, VfsFile } from '@tinydb/vfs'
import { FREE_LIST_COUNT_OFFSET, FREE_LIST_ENTRIES_OFFSET, FREE_LIST_NEXT_OFFSET, freeListCapacity } from './freelist-format.js'
import { decodeMeta } from './meta-format.js'
import type { MetaDecodeResult, MetaRecord } from './meta-format.js'
import {
  FIRST_DATA_PAGE_ID,
  MAX_PAGE_SIZE,
  MIN_PAGE_SIZE,
  PAGE_HEADER_SIZE,
  PAGE_TYPE_FREE_LIST,
  PAGE_TYPE_META,
  decodePageHeader,
  readU32,
} from './page-format.js'
import { META_CHECKSUM, pageChecksumFor, type PageChecksum } from './page-checksum.js'

/**
 * Read-only views of a data file's raw bytes, for `tinydb inspect` and for learners. Nothing here
 * writes, creates or repairs: the file is opened without `create`, and a damaged page is reported
 * (with what is wrong), never thrown about, because showing damage is the point of inspecting.
 * These functions do not take the directory lock; the caller does.
 */

export type { MetaRecord } from './meta-format.js'

/** One meta slot as found on disk. */
export interface MetaSlotInspection {
  readonly slot: 0 | 1
  readonly status: 'valid' | 'invalid' | 'unsupported'
  /** For `invalid`: why the page was rejected; for `unsupported`: the format version it carries. */
  readonly reason?: string
  readonly meta?: MetaRecord
  /** Low 32 bits of the checkpoint id in the page header. */
  readonly writtenBy?: number
  readonly storedCrc?: number
  readonly computedCrc?: number
}

export interface MetaInspection {
  readonly file: string
  readonly fileSize: number
  /** The page size the valid metas establish; undefined when neither meta is valid. */
  readonly pageSize: number | undefined
  /** The format version the valid metas record (see FORMAT.md); undefined when neither meta is valid. */
  readonly formatVersion: number | undefined
  /** How that format checksums the file's other pages (meta pages always use CRC-32C). */
  readonly pageChecksum: 'CRC-32' | 'CRC-32C' | undefined
  readonly slots: readonly [MetaSlotInspection, MetaSlotInspection]
  /** The slot the pager opens at (the newest valid checkpoint), undefined when none is valid. */
  readonly live: 0 | 1 | undefined
  /** Why that slot is live, in one sentence. */
  readonly why: string
}

/** Reads both meta pages of `path` and decides, by the pager's rule, which one is live. */
export async function inspectMeta(vfs: Vfs, path: string): Promise<MetaInspection> {
  return withFile(vfs, path, async (file) => {
    const fileSize = await file.size()
    const head = new Uint8Array(Math.min(fileSize, 2 * MAX_PAGE_SIZE))
    const length = await file.read(head, 0)
    return describeMetas(path, fileSize, head.subarray(0, length))
  })
}

function describeMetas(path: string, fileSize: number, head: Uint8Array): MetaInspection {
  const first = decodeMeta(head, 0)
  let pageSize = first.status === 'valid' ? first.pageSize : undefined
  let second: MetaDecodeResult = { status: 'invalid', reason: 'the file ends before page 1' }
  if (pageSize !== undefined) {
    second = decodeMeta(head.subarray(Math.min(pageSize, head.length)), 1, pageSize)
  } else {
    // Same search as the pager: meta 0 cannot tell the page size, so try every legal one.
    for (let size = MIN_PAGE_SIZE; size <= MAX_PAGE_SIZE && size < head.length; size *= 2) {
      const candidate = decodeMeta(head.subarray(size), 1, size)
      if (candidate.status !== 'invalid') {
        second = candidate
        break
      }
    }
    if (second.status === 'valid') pageSize = second.pageSize
  }
  const slots = [slotView(0, first, head, pageSize), slotView(1, second, head.subarray(pageSize ?? head.length), pageSize)] as const
  const { live, why } = chooseLive(first, second)
  const valid = first.status === 'valid' ? first : second.status === 'valid' ? second : undefined
  const formatVersion = valid?.version
  const pageChecksum = valid === undefined ? undefined : pageChecksumFor(valid.version, valid.pageSize)?.name
  return { file: path, fileSize, pageSize, formatVersion, pageChecksum, slots, live, why }
}

function slotView(slot: 0 | 1, result: MetaDecodeResult, bytes: Uint8Array, pageSize: number | undefined): MetaSlotInspection {
  const page = pageSize !== undefined && bytes.length >= pageSize ? bytes.subarray(0, pageSize) : undefined
  const crc = page === undefined ? {} : { storedCrc: readU32(page, 0), computedCrc: META_CHECKSUM.compute(page), writtenBy: decodePageHeader(page).writtenBy }
  if (result.status === 'valid') return { slot, status: 'valid', meta: result.meta, ...crc }
  if (result.status === 'unsupported') return { slot, status: 'unsupported', reason: `format version ${result.version}`, ...crc }
  return { slot, status: 'invalid', reason: result.reason, ...crc }
}

/** The pager's rule (data-file.ts chooseMeta): the valid meta with the higher checkpoint id; 0 on a tie. */
function chooseLive(first: MetaDecodeResult, second: MetaDecodeResult): { live: 0 | 1 | undefined; why: string } {
  if (first.status === 'unsupported' || second.status === 'unsupported') {
    return { live: undefined, why: 'a meta page carries a newer format version: this TinyDB refuses to open the file' }
  }
  if (first.status === 'valid' && second.status === 'valid') {
    const a = first.meta.checkpointId
    const b = second.meta.checkpointId
    if (a === b) return { live: 0, why: `both metas are valid and record checkpoint ${a} (a new file): page 0 wins the tie` }
    const live = a > b ? 0 : 1
    return { live, why: `both metas are valid; page ${live} records the newer checkpoint (${Math.max(a, b)} > ${Math.min(a, b)})` }
  }
  if (first.status === 'valid' && second.status === 'invalid') {
    return { live: 0, why: `page 1 is invalid (${second.reason}): a torn or damaged meta is skipped, so page 0 is live` }
  }
  if (second.status === 'valid' && first.status === 'invalid') {
    return { live: 1, why: `page 0 is invalid (${first.reason}): a torn or damaged meta is skipped, so page 1 is live` }
  }
  return { live: undefined, why: 'neither meta page is valid: the file cannot be opened' }
}

/** One page's raw bytes and what its common header says. */
export interface RawPageInspection {
  readonly pageId: number
  readonly pageSize: number
  /** The whole page, `pageSize` bytes (zero-filled past the end of a short file). */
  readonly bytes: Uint8Array
  /** Bytes of the page the file actually holds. */
  readonly bytesInFile: number
  readonly storedPageId: number
  readonly type: number
  readonly typeName: string
  readonly writtenBy: number
  readonly storedCrc: number
  readonly computedCrc: number
  /** The algorithm `computedCrc` was computed with: CRC-32C for the metas, else by format version. */
  readonly checksumName: 'CRC-32' | 'CRC-32C'
  readonly checksumOk: boolean
  /** The body: the bytes after the 16-byte page header, where each page kind keeps its content. */
  readonly body: Uint8Array
}

export const PAGE_HEADER_BYTES = PAGE_HEADER_SIZE

/**
 * Reads page `pageId` of `path`, a file of `pageSize`-byte pages in format `formatVersion` (both
 * from `inspectMeta`: they decide how the page is checksummed), without interpreting its body.
 */
export async function readRawPage(vfs: Vfs, path: string, pageId: number, pageSize: number, formatVersion: number): Promise<RawPageInspection> {
  const checksum = checksumOf(formatVersion, pageSize)
  return withFile(vfs, path, (file) => readPageFrom(file, pageId, pageSize, checksum))
}

function checksumOf(formatVersion: number, pageSize: number): PageChecksum {
  const checksum = pageChecksumFor(formatVersion, pageSize)
  if (checksum === undefined) throw new TinyDbError('UNSUPPORTED_FORMAT', `pager format version ${formatVersion} is not one this build reads`)
  return checksum
}

async function readPageFrom(file: VfsFile, pageId: number, pageSize: number, pageChecksum: PageChecksum): Promise<RawPageInspection> {
  const bytes = new Uint8Array(pageSize)
  const bytesInFile = await file.read(bytes, pageId * pageSize)
  const header = decodePageHeader(bytes)
  const storedCrc = readU32(bytes, 0)
  const checksum = pageId < FIRST_DATA_PAGE_ID ? META_CHECKSUM : pageChecksum
  const computedCrc = checksum.compute(bytes)
  return {
    pageId,
    pageSize,
    bytes,
    bytesInFile,
    storedPageId: header.pageId,
    type: header.type,
    typeName: header.type === PAGE_TYPE_META ? 'meta' : header.type === PAGE_TYPE_FREE_LIST ? 'free list' : header.type === 0 ? 'none (never written)' : 'user',
    writtenBy: header.writtenBy,
    storedCrc,
    computedCrc,
    checksumName: checksum.name,
    checksumOk: storedCrc === computedCrc,
    body: bytes.subarray(PAGE_HEADER_SIZE),
  }
}

/** The free-list chain of a checkpoint: its own pages and the free pages it lists. */
export interface FreeListInspection {
  readonly chainPageIds: readonly number[]
  readonly freePageIds: readonly number[]
  /** The first problem met while following the chain (it stops there), if any. */
  readonly problem?: string
}

/** Follows the free list of `meta` in `path` (format `formatVersion`), reporting (not throwing) a broken chain. */
export async function inspectFreeList(vfs: Vfs, path: string, pageSize: number, meta: MetaRecord, formatVersion: number): Promise<FreeListInspection> {
  const checksum = checksumOf(formatVersion, pageSize)
  return withFile(vfs, path, async (file) => {
    const chainPageIds: number[] = []
    const freePageIds: number[] = []
    const seen = new Set<number>()
    for (let pageId = meta.freeListPageId; pageId !== 0; ) {
      if (pageId < 2 || pageId >= meta.pageCount) return { chainPageIds, freePageIds, problem: `free-list link to page ${pageId}, outside the file` }
      if (seen.has(pageId)) return { chainPageIds, freePageIds, problem: `free-list link to page ${pageId} forms a loop` }
      seen.add(pageId)
      chainPageIds.push(pageId)
      const page = await readPageFrom(file, pageId, pageSize, checksum)
      if (!page.checksumOk) return { chainPageIds, freePageIds, problem: `free-list page ${pageId}: checksum mismatch` }
      if (page.type !== PAGE_TYPE_FREE_LIST) return { chainPageIds, freePageIds, problem: `page ${pageId} has type ${page.type}, not a free-list page` }
      const count = Math.min(readU32(page.bytes, FREE_LIST_COUNT_OFFSET), freeListCapacity(pageSize))
      for (let i = 0; i < count; i++) freePageIds.push(readU32(page.bytes, FREE_LIST_ENTRIES_OFFSET + i * 4))
      pageId = readU32(page.bytes, FREE_LIST_NEXT_OFFSET)
    }
    return { chainPageIds, freePageIds }
  })
}

async function withFile<T>(vfs: Vfs, path: string, use: (file: VfsFile) => Promise<T>): Promise<T> {
  const file = await vfs.open(path)
  try {
    return await use(file)
  } finally {
    await file.close()
  }
}
