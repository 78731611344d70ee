import {
  FIRST_DATA_PAGE_ID,
  MAX_PAGE_COUNT,
  PAGE_HEADER_SIZE,
  PAGE_TYPE_META,
  checksumMatches,
  decodePageHeader,
  encodePageHeader,
  isValidPageSize,
  readU32,
  writeU32,
} from './page-format.js'
import { META_CHECKSUM, pageChecksumFor } from './page-checksum.js'
import type { PagerMeta } from './pager.js'

/**
 * The two meta pages, ids 0 and 1, each a whole page with the common page header. Checkpoint `n`
 * writes slot `n % 2`, so the slot holding the durable meta (`n - 1`) is never the one being written,
 * and a meta write torn by a crash only ever destroys the older of the two (the bbolt trick).
 * See FORMAT.md, "Meta page".
 *
 * The checksum (always CRC-32C: `META_CHECKSUM`), the header, the magic, the format version and the
 * page size stay at these offsets in every format version, so any version can tell a torn meta from
 * a newer format and find the page size.
 */
export const META_MAGIC_OFFSET = PAGE_HEADER_SIZE // 16
export const META_VERSION_OFFSET = 24
export const META_PAGE_SIZE_OFFSET = 28
export const META_CHECKPOINT_ID_OFFSET = 32 // u64
export const META_CHECKPOINT_LSN_OFFSET = 40 // u64
export const META_ROOT_PAGE_ID_OFFSET = 48
export const META_PAGE_COUNT_OFFSET = 52
export const META_FREE_LIST_PAGE_ID_OFFSET = 56
export const META_FREE_PAGE_COUNT_OFFSET = 60
/** Bytes of the meta page that carry fields; the rest of the page is zero. */
export const META_END = 64

/** "TinyDBpg": identifies a TinyDB pager data file. */
export const META_MAGIC = Uint8Array.of(0x54, 0x69, 0x6e, 0x79, 0x44, 0x42, 0x70, 0x67)

/** Everything a meta page records: the public PagerMeta plus where the free list lives. */
export interface MetaRecord extends PagerMeta {
  /** First page of the free-list chain, 0 when no page is free. */
  readonly freeListPageId: number
  /** Number of page ids in the free list (it lists the free pages, not its own pages). */
  readonly freePageCount: number
}

export type MetaSlot = 0 | 1

export type MetaDecodeResult =
  | { readonly status: 'valid'; readonly meta: MetaRecord; readonly pageSize: number; readonly version: number }
  | { readonly status: 'unsupported'; readonly version: number }
  | { readonly status: 'invalid'; readonly reason: string }

/** The alternation rule: checkpoint `checkpointId` writes this meta slot. */
export function metaSlotFor(checkpointId: number): MetaSlot {
  return checkpointId % 2 === 0 ? 0 : 1
}

/** Writes `meta` as the whole meta page image `page` (pageSize bytes) for `slot`, in format `version`. */
export function encodeMeta(page: Uint8Array, slot: MetaSlot, meta: MetaRecord, version: number): void {
  page.fill(0)
  page.set(META_MAGIC, META_MAGIC_OFFSET)
  writeU32(page, META_VERSION_OFFSET, version)
  writeU32(page, META_PAGE_SIZE_OFFSET, page.length)
  writeU64(page, META_CHECKPOINT_ID_OFFSET, meta.checkpointId)
  writeU64(page, META_CHECKPOINT_LSN_OFFSET, meta.checkpointLsn)
  writeU32(page, META_ROOT_PAGE_ID_OFFSET, meta.rootPageId)
  writeU32(page, META_PAGE_COUNT_OFFSET, meta.pageCount)
  writeU32(page, META_FREE_LIST_PAGE_ID_OFFSET, meta.freeListPageId)
  writeU32(page, META_FREE_PAGE_COUNT_OFFSET, meta.freePageCount)
  encodePageHeader(page, { pageId: slot, type: PAGE_TYPE_META, writtenBy: meta.checkpointId }, META_CHECKSUM)
}

/**
 * Decodes the meta page of `slot` from `bytes`, which start at the slot's offset and may be shorter
 * than a page when the file is. `expectedPageSize` is the page size the other meta established, if any.
 * A page whose checksum holds but whose version is unknown is `unsupported`, never `invalid`: it was
 * written by a newer TinyDB, and falling back to the older meta would silently lose its checkpoint.
 */
export function decodeMeta(bytes: Uint8Array, slot: MetaSlot, expectedPageSize?: number): MetaDecodeResult {
  if (bytes.length < META_END) return invalid('the file ends inside the meta page')
  for (let i = 0; i < META_MAGIC.length; i++) {
    if (bytes[META_MAGIC_OFFSET + i] !== META_MAGIC[i]) return invalid('bad magic (not a TinyDB pager file, or the meta page is torn)')
  }
  const pageSize = readU32(bytes, META_PAGE_SIZE_OFFSET)
  if (!isValidPageSize(pageSize)) return invalid(`invalid page size ${pageSize}`)
  if (expectedPageSize !== undefined && pageSize !== expectedPageSize) {
    return invalid(`page size ${pageSize} disagrees with the other meta page (${expectedPageSize})`)
  }
  if (bytes.length < pageSize) return invalid('the file ends inside the meta page')
  const page = bytes.subarray(0, pageSize)
  if (!checksumMatches(page, META_CHECKSUM)) return invalid('checksum mismatch')
  const version = readU32(page, META_VERSION_OFFSET)
  if (pageChecksumFor(version, pageSize) === undefined) return { status: 'unsupported', version }
  const header = decodePageHeader(page)
  if (header.pageId !== slot) return invalid(`page id ${header.pageId} found at page ${slot}`)
  if (header.type !== PAGE_TYPE_META) return invalid(`page type ${header.type} where a meta page belongs`)
  const checkpointId = readU64(page, META_CHECKPOINT_ID_OFFSET)
  const checkpointLsn = readU64(page, META_CHECKPOINT_LSN_OFFSET)
  if (checkpointId === undefined) return invalid('checkpoint id exceeds 2^53')
  if (checkpointLsn === undefined) return invalid('checkpoint LSN exceeds 2^53')
  const meta: MetaRecord = {
    checkpointId,
    checkpointLsn,
    rootPageId: readU32(page, META_ROOT_PAGE_ID_OFFSET),
    pageCount: readU32(page, META_PAGE_COUNT_OFFSET),
    freeListPageId: readU32(page, META_FREE_LIST_PAGE_ID_OFFSET),
    freePageCount: readU32(page, META_FREE_PAGE_COUNT_OFFSET),
  }
  const problem = validateMetaFields(meta)
  return problem === undefined ? { status: 'valid', meta, pageSize, version } : invalid(problem)
}

/** Cross-field checks a checksum cannot make (it only proves the bytes are the ones written). */
function validateMetaFields(meta: MetaRecord): string | undefined {
  const { pageCount, rootPageId, freeListPageId, freePageCount } = meta
  if (pageCount < FIRST_DATA_PAGE_ID || pageCount > MAX_PAGE_COUNT) return `page count ${pageCount} out of range`
  const isPage = (id: number): boolean => id >= FIRST_DATA_PAGE_ID && id < pageCount
  if (rootPageId !== 0 && !isPage(rootPageId)) return `root page ${rootPageId} outside [2, ${pageCount})`
  if (freeListPageId !== 0 && !isPage(freeListPageId)) return `free-list page ${freeListPageId} outside [2, ${pageCount})`
  if (freePageCount > pageCount - FIRST_DATA_PAGE_ID) return `free page count ${freePageCount} exceeds the page count ${pageCount}`
  if ((freeListPageId === 0) !== (freePageCount === 0)) return `free-list page ${freeListPageId} disagrees with free page count ${freePageCount}`
  return undefined
}

function invalid(reason: string): MetaDecodeResult {
  return { status: 'invalid', reason }
}

function writeU64(bytes: Uint8Array, offset: number, value: number): void {
  writeU32(bytes, offset, value % 0x1_0000_0000)
  writeU32(bytes, offset + 4, Math.floor(value / 0x1_0000_0000))
}

/** A u64 as a safe integer, or undefined when it does not fit in 53 bits. */
function readU64(bytes: Uint8Array, offset: number): number | undefined {
  const value = readU32(bytes, offset + 4) * 0x1_0000_0000 + readU32(bytes, offset)
  return Number.isSafeInteger(value) ? value : undefined
}
