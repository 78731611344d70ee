import { SimVfs } from '@tinydb/vfs'
import type { VfsFile } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { CRC32_PAGE_CHECKSUM, FORMAT_VERSION } from '../src/page-checksum.js'
import { writeCheckpoint } from '../src/checkpoint-writer.js'
import type { CheckpointPage } from '../src/checkpoint-writer.js'
import { verifyPage } from '../src/page-format.js'

const PAGE_SIZE = 512

/**
 * A file whose writes take their bytes only after a turn of the event loop, the way a write that
 * waits for a thread-pool thread may: a writer that changed a page image (or reused a buffer)
 * before its write settled would have the later bytes written in its place. Counts the writes.
 */
function lateCopyingFile(file: VfsFile): { file: VfsFile; writes: { single: number; gathered: number } } {
  const writes = { single: 0, gathered: 0 }
  const proxy = new Proxy(file, {
    get(target, property, receiver) {
      if (property === 'write') {
        return async (buffer: Uint8Array, position: number): Promise<void> => {
          writes.single++
          await new Promise((resolve) => setImmediate(resolve))
          await target.write(new Uint8Array(buffer), position)
        }
      }
      if (property === 'writev') {
        return async (buffers: readonly Uint8Array[], position: number): Promise<void> => {
          writes.gathered++
          await new Promise((resolve) => setImmediate(resolve))
          await target.writev(
            buffers.map((buffer) => new Uint8Array(buffer)),
            position,
          )
        }
      }
      const value: unknown = Reflect.get(target, property, receiver)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
  return { file: proxy, writes }
}

describe('writeCheckpoint', () => {
  it('writes each run of adjacent pages with one gathered write, several in flight, each page as sealed', async () => {
    const vfs = new SimVfs({ seed: 11 })
    await vfs.mkdir('/db')
    const { file, writes } = lateCopyingFile(await vfs.open('/db/data', { create: true }))
    // Twelve runs of two adjacent pages, separated by gaps, and one lone page: thirteen page writes,
    // four in flight at a time, so the lanes wrap around three times.
    const pages: CheckpointPage[] = []
    for (let run = 0; run < 12; run++) {
      for (const id of [2 + run * 3, 3 + run * 3]) {
        const image = new Uint8Array(PAGE_SIZE).fill(id)
        pages.push({ id, type: 16, image })
      }
    }
    pages.push({ id: 40, type: 16, image: new Uint8Array(PAGE_SIZE).fill(40) })
    const meta = { checkpointId: 1, checkpointLsn: 7, rootPageId: 2, pageCount: 41, freeListPageId: 0, freePageCount: 0 }
    await writeCheckpoint({ file, pageSize: PAGE_SIZE, pages, meta, formatVersion: FORMAT_VERSION, checksum: CRC32_PAGE_CHECKSUM, fileSize: 0 })
    // 12 runs gathered, 1 lone page, and the meta page.
    expect(writes).toEqual({ single: 2, gathered: 12 })
    const read = new Uint8Array(PAGE_SIZE)
    const wrong: number[] = []
    for (const { id } of pages) {
      file.readSync(read, id * PAGE_SIZE)
      verifyPage(read, id, '/db/data', CRC32_PAGE_CHECKSUM)
      if (read[PAGE_SIZE - 1] !== id) wrong.push(id)
    }
    expect(wrong).toEqual([])
  })

  it('splits a long run into writes of at most 256 KiB', async () => {
    const vfs = new SimVfs({ seed: 12 })
    await vfs.mkdir('/db')
    const { file, writes } = lateCopyingFile(await vfs.open('/db/data', { create: true }))
    const pageSize = 4096
    // 200 adjacent pages (800 KiB): 64 + 64 + 64 + 8.
    const pages: CheckpointPage[] = Array.from({ length: 200 }, (_, index) => ({ id: 2 + index, type: 16, image: new Uint8Array(pageSize).fill(index & 0xff) }))
    const meta = { checkpointId: 1, checkpointLsn: 7, rootPageId: 2, pageCount: 202, freeListPageId: 0, freePageCount: 0 }
    await writeCheckpoint({ file, pageSize, pages, meta, formatVersion: FORMAT_VERSION, checksum: CRC32_PAGE_CHECKSUM, fileSize: 0 })
    expect(writes).toEqual({ single: 1, gathered: 4 })
    const read = new Uint8Array(pageSize)
    for (const { id } of pages) {
      file.readSync(read, id * pageSize)
      expect(verifyPage(read, id, '/db/data', CRC32_PAGE_CHECKSUM).pageId).toBe(id)
      expect(read[pageSize - 1]).toBe((id - 2) & 0xff)
    }
  })
})
