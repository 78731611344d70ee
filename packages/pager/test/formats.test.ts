import { describe, expect, it } from 'vitest'
import { TinyDbError } from '@tinydb/vfs'
import { decodeFreeListPage, encodeFreeListPage, freeListCapacity } from '../src/freelist-format.js'
import { META_END, decodeMeta, encodeMeta, metaSlotFor } from '../src/meta-format.js'
import type { MetaRecord } from '../src/meta-format.js'
import { CRC32C_PAGE_CHECKSUM, CRC32_PAGE_CHECKSUM, FORMAT_VERSION } from '../src/page-checksum.js'
import { PAGE_HEADER_SIZE, encodePageHeader, verifyPage } from '../src/page-format.js'

const CRC = CRC32_PAGE_CHECKSUM

const meta: MetaRecord = {
  checkpointId: 2 ** 40 + 3,
  checkpointLsn: Number.MAX_SAFE_INTEGER,
  rootPageId: 7,
  pageCount: 100,
  freeListPageId: 9,
  freePageCount: 12,
}

function errorOf(fn: () => unknown): TinyDbError {
  try {
    fn()
  } catch (error) {
    if (TinyDbError.isInstance(error)) return error
  }
  throw new Error('expected a TinyDbError')
}

describe('page format', () => {
  it('round-trips a header, and verifyPage names what failed', () => {
    const image = new Uint8Array(512)
    image.fill(0xab, PAGE_HEADER_SIZE)
    encodePageHeader(image, { pageId: 42, type: 200, writtenBy: 2 ** 32 + 5 }, CRC)
    expect(verifyPage(image, 42, 'f', CRC)).toEqual({ pageId: 42, type: 200, writtenBy: 5 })
    expect(errorOf(() => verifyPage(image, 43, 'f', CRC)).message).toBe('corruption in f page 43 (offset 22016): page id 42 found at page 43')
    image[511] = 0
    expect(errorOf(() => verifyPage(image, 42, 'f', CRC)).message).toBe('corruption in f page 42 (offset 21504): checksum mismatch')
  })
})

describe('meta format', () => {
  it('round-trips every field, u64s included, in either slot', () => {
    for (const slot of [0, 1] as const) {
      const image = new Uint8Array(4096)
      encodeMeta(image, slot, meta, FORMAT_VERSION)
      expect(decodeMeta(image, slot)).toEqual({ status: 'valid', meta, pageSize: 4096, version: FORMAT_VERSION })
    }
  })

  it('alternates slots by checkpoint id', () => {
    expect([0, 1, 2, 3, 2 ** 40 + 3].map(metaSlotFor)).toEqual([0, 1, 0, 1, 1])
  })

  it('rejects each kind of bad meta with a specific reason', () => {
    const valid = new Uint8Array(4096)
    encodeMeta(valid, 0, meta, FORMAT_VERSION)
    const reasonFor = (bytes: Uint8Array, slot: 0 | 1 = 0, expectedPageSize?: number): string => {
      const result = decodeMeta(bytes, slot, expectedPageSize)
      return result.status === 'invalid' ? result.reason : result.status
    }
    expect(reasonFor(valid.subarray(0, META_END - 1))).toBe('the file ends inside the meta page')
    expect(reasonFor(valid.subarray(0, 4000))).toBe('the file ends inside the meta page')
    expect(reasonFor(valid, 1)).toBe('page id 0 found at page 1')
    expect(reasonFor(valid, 0, 8192)).toBe('page size 4096 disagrees with the other meta page (8192)')
    const flipped = valid.slice()
    flipped[3000]! ^= 1
    expect(reasonFor(flipped)).toBe('checksum mismatch')
    const foreign = valid.slice()
    foreign[16] = 0x58
    expect(reasonFor(foreign)).toMatch(/^bad magic/)
    const oddSize = valid.slice()
    new DataView(oddSize.buffer).setUint32(28, 3000, true)
    expect(reasonFor(oddSize)).toBe('invalid page size 3000')
    for (const [field, value, reason] of [
      ['pageCount', 1, 'page count 1 out of range'],
      ['rootPageId', 100, 'root page 100 outside [2, 100)'],
      ['freeListPageId', 1, 'free-list page 1 outside [2, 100)'],
      ['freePageCount', 99, 'free page count 99 exceeds the page count 100'],
      ['freePageCount', 0, 'free-list page 9 disagrees with free page count 0'],
    ] as const) {
      const image = new Uint8Array(4096)
      encodeMeta(image, 0, { ...meta, [field]: value }, FORMAT_VERSION)
      expect(reasonFor(image)).toBe(reason)
    }
    const huge = new Uint8Array(4096)
    encodeMeta(huge, 0, { ...meta, checkpointLsn: 2 ** 60 }, FORMAT_VERSION)
    expect(reasonFor(huge)).toBe('checkpoint LSN exceeds 2^53')
  })
})

describe('free-list page format', () => {
  it('round-trips a full page and refuses an overfull one', () => {
    const capacity = freeListCapacity(512)
    expect(capacity).toBe(122)
    const ids = Array.from({ length: capacity }, (_, i) => 1000 + i)
    const image = new Uint8Array(512)
    encodeFreeListPage(image, 5, { nextPageId: 6, pageIds: ids }, 1, CRC)
    expect(decodeFreeListPage(image, 5, 'f', CRC)).toEqual({ nextPageId: 6, pageIds: ids })
    expect(() => encodeFreeListPage(image, 5, { nextPageId: 0, pageIds: [...ids, 1] }, 1, CRC)).toThrow(RangeError)
  })

  it('is CORRUPTION when the page is not a free-list page or claims too many entries', () => {
    const image = new Uint8Array(512)
    encodeFreeListPage(image, 5, { nextPageId: 0, pageIds: [3] }, 1, CRC)
    image[8] = 16
    encodePageHeader(image, { pageId: 5, type: 16, writtenBy: 1 }, CRC)
    expect(errorOf(() => decodeFreeListPage(image, 5, 'f', CRC)).message).toMatch(/page type 16 where a free-list page belongs$/)
    encodeFreeListPage(image, 5, { nextPageId: 0, pageIds: [3] }, 1, CRC)
    new DataView(image.buffer).setUint32(20, 123, true)
    encodePageHeader(image, { pageId: 5, type: 2, writtenBy: 1 }, CRC)
    expect(errorOf(() => decodeFreeListPage(image, 5, 'f', CRC)).message).toMatch(/claims 123 entries, more than fit$/)
  })
})
