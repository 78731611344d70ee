import { crc32, crc32c } from '@node-rs/crc32'
import { SimVfs, TinyDbError } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { FilePager, inspectMeta, readRawPage } from '../src/index.js'
import { decodeMeta, encodeMeta, type MetaRecord } from '../src/meta-format.js'
import {
  CRC32C_PAGE_CHECKSUM,
  CRC32_MAX_PAGE_SIZE,
  CRC32_PAGE_CHECKSUM,
  FORMAT_VERSION,
  META_CHECKSUM,
  pageChecksumFor,
} from '../src/page-checksum.js'
import { PAGE_HEADER_SIZE, encodePageHeader, verifyPage } from '../src/page-format.js'
import { readTree, twoCheckpoints } from './support/tree.js'

const PATH = '/db/data.tdb'
const EMPTY: MetaRecord = { checkpointId: 0, checkpointLsn: 0, rootPageId: 0, pageCount: 2, freeListPageId: 0, freePageCount: 0 }

/** A data file as format `version` creates it: two metas recording checkpoint 0, nothing else. */
async function fileInVersion(version: number, pageSize: number): Promise<SimVfs> {
  const vfs = new SimVfs({ seed: 7 })
  await vfs.mkdir('/db')
  await vfs.syncDir('/')
  const image = new Uint8Array(2 * pageSize)
  encodeMeta(image.subarray(0, pageSize), 0, EMPTY, version)
  encodeMeta(image.subarray(pageSize), 1, EMPTY, version)
  const file = await vfs.open(PATH, { create: true })
  await file.write(image, 0)
  await file.sync()
  await file.close()
  await vfs.syncDir('/db')
  return vfs
}

/** Ten tagged pages and two checkpoints (the second frees four, so it has a free list): the second's root and children. */
async function writeSomething(pager: FilePager): Promise<{ rootPageId: number; children: Map<number, number> }> {
  const [, second] = await twoCheckpoints(pager, [1, 2])
  return second
}

describe('page checksums by format version', () => {
  it('version 1 is CRC-32C; versions 2 and 3 are CRC-32 up to 8 KiB pages and CRC-32C above; other versions are unknown', () => {
    expect([512, 4096, 65536].map((size) => pageChecksumFor(1, size)?.name)).toEqual(['CRC-32C', 'CRC-32C', 'CRC-32C'])
    for (const version of [2, 3]) {
      expect([512, 4096, CRC32_MAX_PAGE_SIZE, 2 * CRC32_MAX_PAGE_SIZE, 65536].map((size) => pageChecksumFor(version, size)?.name)).toEqual([
        'CRC-32',
        'CRC-32',
        'CRC-32',
        'CRC-32C',
        'CRC-32C',
      ])
    }
    expect(pageChecksumFor(0, 4096)).toBeUndefined()
    expect(pageChecksumFor(4, 4096)).toBeUndefined()
  })

  it('computes the named algorithm over bytes [4, pageSize)', () => {
    const page = new Uint8Array(4096).map((_, index) => (index * 37) & 0xff)
    expect(CRC32_PAGE_CHECKSUM.compute(page)).toBe(crc32(page.subarray(4)) >>> 0)
    expect(CRC32C_PAGE_CHECKSUM.compute(page)).toBe(crc32c(page.subarray(4)) >>> 0)
    expect(CRC32_PAGE_CHECKSUM.compute(page)).not.toBe(CRC32C_PAGE_CHECKSUM.compute(page))
  })

  it('a page checksummed with one algorithm fails verification with the other', () => {
    const page = new Uint8Array(4096).fill(0x5a, PAGE_HEADER_SIZE)
    encodePageHeader(page, { pageId: 9, type: 16, writtenBy: 1 }, CRC32C_PAGE_CHECKSUM)
    expect(verifyPage(page, 9, 'f', CRC32C_PAGE_CHECKSUM).pageId).toBe(9)
    expect(() => verifyPage(page, 9, 'f', CRC32_PAGE_CHECKSUM)).toThrow(/checksum mismatch/)
  })

  it('meta pages are CRC-32C in every version, so a newer version is told from a torn meta', () => {
    for (const version of [1, 2, 3, 4]) {
      const page = new Uint8Array(4096)
      encodeMeta(page, 0, EMPTY, version)
      expect(new DataView(page.buffer).getUint32(0, true)).toBe(META_CHECKSUM.compute(page))
      const result = decodeMeta(page, 0)
      expect(result.status).toBe(version === 4 ? 'unsupported' : 'valid')
    }
  })
})

describe('a data file keeps its format version', () => {
  it('a new file is written in the current version, its pages checksummed as that version says', async () => {
    const vfs = new SimVfs({ seed: 8 })
    await vfs.mkdir('/db')
    await vfs.syncDir('/')
    const pager = await FilePager.open(vfs, PATH, { pageSize: 1024 })
    expect(pager.formatVersion).toBe(FORMAT_VERSION)
    const { rootPageId } = await writeSomething(pager)
    await pager.close()
    const meta = await inspectMeta(vfs, PATH)
    expect([meta.formatVersion, meta.pageChecksum]).toEqual([3, 'CRC-32'])
    const root = await readRawPage(vfs, PATH, rootPageId, 1024, 3)
    expect([root.checksumName, root.checksumOk]).toEqual(['CRC-32', true])
    expect(root.storedCrc).toBe(crc32(root.bytes.subarray(4)) >>> 0)
  })

  it('a version-1 file opens, is written in version 1 (CRC-32C pages) and reads back after a reopen', async () => {
    const vfs = await fileInVersion(1, 1024)
    const pager = await FilePager.open(vfs, PATH)
    expect(pager.formatVersion).toBe(1)
    const { rootPageId, children } = await writeSomething(pager)
    await pager.close()

    const meta = await inspectMeta(vfs, PATH)
    expect([meta.formatVersion, meta.pageChecksum]).toEqual([1, 'CRC-32C'])
    for (const slot of meta.slots) expect(slot.status).toBe('valid')
    const durable = vfs.readDurable(PATH)
    for (const pageId of [rootPageId, ...children.keys()]) {
      const page = durable.subarray(pageId * 1024, (pageId + 1) * 1024)
      expect(new DataView(page.buffer, page.byteOffset).getUint32(0, true)).toBe(crc32c(page.subarray(4)) >>> 0)
    }
    const reopened = await FilePager.open(vfs, PATH)
    expect(reopened.formatVersion).toBe(1)
    expect(readTree(reopened, rootPageId)).toEqual({ children, problems: [] })
    expect(reopened.stats().freePages).toBeGreaterThan(0)
    await reopened.close()
  })

  it('two valid metas that record different versions are CORRUPTION, not a guess', async () => {
    const vfs = await fileInVersion(1, 1024)
    const other = new Uint8Array(1024)
    encodeMeta(other, 1, { ...EMPTY, checkpointId: 1 }, 2)
    vfs.overwrite(PATH, 1024, other)
    const error = await FilePager.open(vfs, PATH).then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(TinyDbError.isInstance(error) && [error.code, error.message]).toEqual([
      'CORRUPTION',
      `corruption in ${PATH} page 0 (offset 0): the meta pages record different format versions (1 and 2)`,
    ])
  })

  it('a version-2 file keeps version 2 through checkpoints and reopens (version 3 only marks new user-page layouts)', async () => {
    const vfs = await fileInVersion(2, 1024)
    const pager = await FilePager.open(vfs, PATH)
    expect(pager.formatVersion).toBe(2)
    const { rootPageId, children } = await writeSomething(pager)
    await pager.close()
    const meta = await inspectMeta(vfs, PATH)
    expect([meta.formatVersion, meta.pageChecksum]).toEqual([2, 'CRC-32'])
    const reopened = await FilePager.open(vfs, PATH)
    expect(reopened.formatVersion).toBe(2)
    expect(readTree(reopened, rootPageId)).toEqual({ children, problems: [] })
    await reopened.close()
  })

  it('a file in a version this build does not read is UNSUPPORTED_FORMAT naming the versions it reads', async () => {
    const vfs = await fileInVersion(4, 1024)
    const error = await FilePager.open(vfs, PATH).then(
      () => undefined,
      (caught: unknown) => caught,
    )
    expect(TinyDbError.isInstance(error) && [error.code, error.message]).toEqual([
      'UNSUPPORTED_FORMAT',
      `${PATH} has pager format version 4; this version of @tinydb/pager reads versions 1 to 3`,
    ])
  })
})
