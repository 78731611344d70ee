import { corruption } from '@tinydb/vfs'
import type { PageChecksum } from './page-checksum.js'
import { FIRST_USER_PAGE_TYPE } from './pager.js'

/**
 * The header every page of the data file starts with (meta and free-list pages included), so one
 * function verifies any page. Little-endian throughout. See FORMAT.md, "Page header".
 *
 * | offset | size | field        |
 * |--------|------|--------------|
 * | 0      | 4    | checksum of bytes [4, pageSize): CRC-32 or CRC-32C by format version (page-checksum.ts) |
 * | 4      | 4    | pageId        |
 * | 8      | 1    | type          |
 * | 9      | 3    | reserved (0)  |
 * | 12     | 4    | writtenBy: low 32 bits of the checkpoint id that wrote the page |
 */
export const PAGE_HEADER_SIZE = 16
export const PAGE_CRC_OFFSET = 0
export const PAGE_ID_OFFSET = 4
export const PAGE_TYPE_OFFSET = 8
export const PAGE_WRITTEN_BY_OFFSET = 12

export const MIN_PAGE_SIZE = 512
export const MAX_PAGE_SIZE = 65536
export const DEFAULT_PAGE_SIZE = 4096

/** Ids 0 and 1 are the meta pages, so 0 can mean "no page" everywhere else. */
export const FIRST_DATA_PAGE_ID = 2
/** Page ids are u32 on disk; the high-water mark may not pass this (so it fits a u32 too). */
export const MAX_PAGE_COUNT = 0xffff_ffff

/** Page types 0–15 belong to the pager; 0 is never written, so a zeroed page never has a valid type. */
export const PAGE_TYPE_META = 1
export const PAGE_TYPE_FREE_LIST = 2
export const MAX_PAGE_TYPE = 255

export function isValidPageSize(pageSize: number): boolean {
  return (
    Number.isInteger(pageSize) && pageSize >= MIN_PAGE_SIZE && pageSize <= MAX_PAGE_SIZE && (pageSize & (pageSize - 1)) === 0
  )
}

export function isUserPageType(type: number): boolean {
  return Number.isInteger(type) && type >= FIRST_USER_PAGE_TYPE && type <= MAX_PAGE_TYPE
}

export function pageTypeName(type: number): string {
  if (type === PAGE_TYPE_META) return 'meta'
  if (type === PAGE_TYPE_FREE_LIST) return 'free list'
  return type >= FIRST_USER_PAGE_TYPE ? 'user' : 'unknown'
}

export function readU32(bytes: Uint8Array, offset: number): number {
  return (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>> 0
}

export function writeU32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value & 0xff
  bytes[offset + 1] = (value >>> 8) & 0xff
  bytes[offset + 2] = (value >>> 16) & 0xff
  bytes[offset + 3] = (value >>> 24) & 0xff
}

export interface PageHeader {
  readonly pageId: number
  readonly type: number
  /** Low 32 bits of the id of the checkpoint that wrote this page. */
  readonly writtenBy: number
}

/**
 * Fills in the header of a whole page image (`page.length === pageSize`) and its checksum. The body
 * (bytes from PAGE_HEADER_SIZE on) must already hold its final content.
 */
export function encodePageHeader(page: Uint8Array, header: PageHeader, checksum: PageChecksum): void {
  writeU32(page, PAGE_ID_OFFSET, header.pageId)
  page[PAGE_TYPE_OFFSET] = header.type
  page[PAGE_TYPE_OFFSET + 1] = 0
  page[PAGE_TYPE_OFFSET + 2] = 0
  page[PAGE_TYPE_OFFSET + 3] = 0
  writeU32(page, PAGE_WRITTEN_BY_OFFSET, header.writtenBy >>> 0)
  writeU32(page, PAGE_CRC_OFFSET, checksum.compute(page))
}

export function checksumMatches(page: Uint8Array, checksum: PageChecksum): boolean {
  return readU32(page, PAGE_CRC_OFFSET) === checksum.compute(page)
}

export function decodePageHeader(page: Uint8Array): PageHeader {
  return {
    pageId: readU32(page, PAGE_ID_OFFSET),
    type: page[PAGE_TYPE_OFFSET]!,
    writtenBy: readU32(page, PAGE_WRITTEN_BY_OFFSET),
  }
}

/**
 * Verifies a whole page image read from `file` at page `pageId`: checksum first (a torn or rotten
 * page), then the stored id (a page written to the wrong place, or a stale copy of another page).
 * Returns the header; the caller checks the type it expects.
 */
export function verifyPage(page: Uint8Array, pageId: number, file: string, checksum: PageChecksum): PageHeader {
  const offset = pageId * page.length
  if (!checksumMatches(page, checksum)) {
    const what = page.every((byte) => byte === 0) ? 'checksum mismatch (the page is all zeros: never written)' : 'checksum mismatch'
    throw corruption({ file, pageId, offset }, what)
  }
  const header = decodePageHeader(page)
  if (header.pageId !== pageId) throw corruption({ file, pageId, offset }, `page id ${header.pageId} found at page ${pageId}`)
  return header
}
