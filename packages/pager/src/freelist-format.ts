import { corruption } from '@tinydb/vfs'
import type { PageChecksum } from './page-checksum.js'
import { PAGE_HEADER_SIZE, PAGE_TYPE_FREE_LIST, encodePageHeader, readU32, verifyPage, writeU32 } from './page-format.js'

/**
 * A free-list page: one link of the chain that lists the pages free in a checkpoint. The chain is
 * written by the checkpoint at pages no durable meta references (like any page), so a crash during
 * the checkpoint leaves the previous checkpoint's chain intact. See FORMAT.md, "Free-list page".
 *
 * | offset | size | field |
 * |--------|------|-------|
 * | 0      | 16   | page header, type 2 |
 * | 16     | 4    | nextPageId: the next page of the chain, 0 for the last |
 * | 20     | 4    | count: page ids in this page |
 * | 24     | 4·count | page ids, ascending across the whole chain |
 */
export const FREE_LIST_NEXT_OFFSET = PAGE_HEADER_SIZE // 16
export const FREE_LIST_COUNT_OFFSET = 20
export const FREE_LIST_ENTRIES_OFFSET = 24
const ENTRY_SIZE = 4

/** How many page ids one free-list page holds. */
export function freeListCapacity(pageSize: number): number {
  return Math.floor((pageSize - FREE_LIST_ENTRIES_OFFSET) / ENTRY_SIZE)
}

export interface FreeListPage {
  readonly nextPageId: number
  readonly pageIds: readonly number[]
}

/** Writes one whole free-list page image (`page.length === pageSize`, zeroed or not). */
export function encodeFreeListPage(page: Uint8Array, pageId: number, content: FreeListPage, checkpointId: number, checksum: PageChecksum): void {
  if (content.pageIds.length > freeListCapacity(page.length)) throw new RangeError('free-list page overflow')
  page.fill(0, PAGE_HEADER_SIZE)
  writeU32(page, FREE_LIST_NEXT_OFFSET, content.nextPageId)
  writeU32(page, FREE_LIST_COUNT_OFFSET, content.pageIds.length)
  let offset = FREE_LIST_ENTRIES_OFFSET
  for (const id of content.pageIds) {
    writeU32(page, offset, id)
    offset += ENTRY_SIZE
  }
  encodePageHeader(page, { pageId, type: PAGE_TYPE_FREE_LIST, writtenBy: checkpointId }, checksum)
}

/** Verifies and decodes the free-list page image read from page `pageId` of `file`. */
export function decodeFreeListPage(page: Uint8Array, pageId: number, file: string, checksum: PageChecksum): FreeListPage {
  const { nextPageId, count } = decodeFreeListHeader(page, pageId, file, checksum)
  const pageIds = new Uint32Array(count)
  copyFreeListEntries(page, count, pageIds, 0)
  return { nextPageId, pageIds: Array.from(pageIds) }
}

/**
 * Verifies the free-list page image read from page `pageId` of `file` (checksum, id, type, count)
 * and returns its link and entry count, without touching the entries.
 */
export function decodeFreeListHeader(page: Uint8Array, pageId: number, file: string, checksum: PageChecksum): { nextPageId: number; count: number } {
  const header = verifyPage(page, pageId, file, checksum)
  const site = { file, pageId, offset: pageId * page.length }
  if (header.type !== PAGE_TYPE_FREE_LIST) throw corruption(site, `page type ${header.type} where a free-list page belongs`)
  const count = readU32(page, FREE_LIST_COUNT_OFFSET)
  if (count > freeListCapacity(page.length)) throw corruption(site, `free-list page claims ${count} entries, more than fit`)
  return { nextPageId: readU32(page, FREE_LIST_NEXT_OFFSET), count }
}

const LITTLE_ENDIAN_HOST = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1

/**
 * Copies the `count` page ids of a verified free-list page into `into` from index `at`: one native
 * copy on a little-endian host, no JavaScript per entry (reopen reads thousands, in cold code).
 */
export function copyFreeListEntries(page: Uint8Array, count: number, into: Uint32Array, at: number): void {
  if (!LITTLE_ENDIAN_HOST) {
    for (let i = 0; i < count; i++) into[at + i] = readU32(page, FREE_LIST_ENTRIES_OFFSET + i * ENTRY_SIZE)
    return
  }
  const bytes = new Uint8Array(into.buffer, into.byteOffset + at * ENTRY_SIZE, count * ENTRY_SIZE)
  bytes.set(page.subarray(FREE_LIST_ENTRIES_OFFSET, FREE_LIST_ENTRIES_OFFSET + count * ENTRY_SIZE))
}
