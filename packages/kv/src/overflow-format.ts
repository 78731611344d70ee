import { FIRST_USER_PAGE_TYPE } from '@tinydb/pager'
import { readU32, writeU32 } from './bytes.js'

/**
 * Overflow page: one chunk of a value too large to sit in its leaf cell. A value of length L is
 * split into ceil(L / capacity) chunks, in order, each page naming the next; every chunk but the
 * last is full. Overflow pages are written once and never modified in place (replacing or deleting
 * the value frees the whole chain), so they need no copy-on-write of their own. See FORMAT.md.
 */
export const OVERFLOW_PAGE_TYPE = FIRST_USER_PAGE_TYPE + 2
export const OVERFLOW_NEXT_PAGE_OFFSET = 0 // u32: next page of the chain, 0 on the last page
export const OVERFLOW_CHUNK_LENGTH_OFFSET = 4 // u32: value bytes on this page
export const OVERFLOW_DATA_OFFSET = 8
export const OVERFLOW_HEADER_SIZE = OVERFLOW_DATA_OFFSET

export function overflowCapacity(bodySize: number): number {
  return bodySize - OVERFLOW_HEADER_SIZE
}

/** Pages in the chain of a value of `valueLength` bytes. */
export function overflowPageCount(valueLength: number, bodySize: number): number {
  return Math.ceil(valueLength / overflowCapacity(bodySize))
}

export function overflowNextPage(body: Uint8Array): number {
  return readU32(body, OVERFLOW_NEXT_PAGE_OFFSET)
}

export function overflowChunkLength(body: Uint8Array): number {
  return readU32(body, OVERFLOW_CHUNK_LENGTH_OFFSET)
}

/** Fills a freshly allocated page with `length` bytes of `value` from `start`. */
export function writeOverflowPage(
  body: Uint8Array,
  nextPageId: number,
  value: Uint8Array,
  start: number,
  length: number,
): void {
  writeU32(body, OVERFLOW_NEXT_PAGE_OFFSET, nextPageId)
  writeU32(body, OVERFLOW_CHUNK_LENGTH_OFFSET, length)
  body.set(value.subarray(start, start + length), OVERFLOW_DATA_OFFSET)
}

/**
 * The problem with chunk number `index` (0-based) of a `valueLength`-byte value, or undefined:
 * its length must be what the value's length implies, and only the last page may end the chain.
 */
export function overflowPageProblem(body: Uint8Array, index: number, valueLength: number): string | undefined {
  const capacity = overflowCapacity(body.length)
  const pages = Math.ceil(valueLength / capacity)
  const expected = index === pages - 1 ? valueLength - index * capacity : capacity
  const chunkLength = overflowChunkLength(body)
  if (chunkLength !== expected) return `overflow chunk ${index} holds ${chunkLength} bytes, expected ${expected}`
  const next = overflowNextPage(body)
  if (index === pages - 1 && next !== 0) return `overflow chain continues past its value length (${valueLength} bytes)`
  if (index < pages - 1 && next === 0) return `overflow chain ends after ${index + 1} of ${pages} pages`
  return undefined
}
