import { copyBytes, readU32 } from './bytes.js'
import type { TreeContext } from './context.js'
import { leafIsOverflow, leafValueLength, leafValueStart } from './leaf-format.js'
import {
  OVERFLOW_PAGE_TYPE,
  overflowChunkLength,
  overflowNextPage,
  overflowPageProblem,
  writeOverflowPage,
  OVERFLOW_DATA_OFFSET,
} from './overflow-format.js'

/**
 * Writes `value` to a new chain and returns its first page id. The chain is built back to front
 * so each page is written once, already knowing its successor: overflow pages are never modified
 * after allocation.
 */
export function writeOverflowChain(context: TreeContext, value: Uint8Array): number {
  const capacity = context.overflowCapacity
  const pages = Math.ceil(value.length / capacity)
  let next = 0
  for (let index = pages - 1; index >= 0; index--) {
    const start = index * capacity
    const length = Math.min(capacity, value.length - start)
    const page = context.pager.allocate(OVERFLOW_PAGE_TYPE)
    writeOverflowPage(page.body, next, value, start, length)
    next = page.id
  }
  return next
}

/** Reads a whole chain into a new buffer, validating every page against the stored length. */
export function readOverflowChain(context: TreeContext, firstPageId: number, valueLength: number): Uint8Array {
  const out = new Uint8Array(valueLength)
  let pageId = firstPageId
  let position = 0
  for (let index = 0; position < valueLength; index++) {
    const body = readOverflowPage(context, pageId, index, valueLength)
    const length = overflowChunkLength(body)
    out.set(body.subarray(OVERFLOW_DATA_OFFSET, OVERFLOW_DATA_OFFSET + length), position)
    position += length
    pageId = overflowNextPage(body)
  }
  return out
}

/** Gives every page of a chain back to the pager (replace or delete of the value). */
export function freeOverflowChain(context: TreeContext, firstPageId: number, valueLength: number): void {
  let pageId = firstPageId
  const pages = Math.ceil(valueLength / context.overflowCapacity)
  for (let index = 0; index < pages; index++) {
    const next = overflowNextPage(readOverflowPage(context, pageId, index, valueLength))
    context.pager.free(pageId)
    pageId = next
  }
}

function readOverflowPage(context: TreeContext, pageId: number, index: number, valueLength: number): Uint8Array {
  const page = context.readPage(pageId)
  if (page.type !== OVERFLOW_PAGE_TYPE) {
    throw context.corruption(pageId, `expected an overflow page, found page type ${page.type}`)
  }
  const problem = overflowPageProblem(page.body, index, valueLength)
  if (problem !== undefined) throw context.corruption(pageId, problem)
  return page.body
}

/** A copy of the value of the leaf cell at `cellOffset`, inline or from its overflow chain. */
export function readLeafValue(context: TreeContext, body: Uint8Array, cellOffset: number): Uint8Array {
  const valueLength = leafValueLength(body, cellOffset)
  const valueStart = leafValueStart(body, cellOffset)
  if (leafIsOverflow(body, cellOffset)) return readOverflowChain(context, readU32(body, valueStart), valueLength)
  return copyBytes(body, valueStart, valueLength)
}
