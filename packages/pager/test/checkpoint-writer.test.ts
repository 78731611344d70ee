import { SimVfs } from '@tinydb/vfs'
import type { VfsFile } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { writeCheckpoint } from '../src/checkpoint-writer.js'
import type { CheckpointPage } from '../src/checkpoint-writer.js'
import { verifyPage } from '../src/page-format.js'

const PAGE_SIZE = 512

/**
 * A file whose writes take their bytes only after a turn of the event loop, the way a write that
 * waits for a thread-pool thread may: a writer that reuses a buffer before its write settled
 * would have the later bytes written in its place.
 */
function lateCopyingFile(file: VfsFile): VfsFile {
  return new Proxy(file, {
    get(target, property, receiver) {
      if (property === 'write') {
        return async (buffer: Uint8Array, position: number): Promise<void> => {
          await new Promise((resolve) => setImmediate(resolve))
          await target.write(buffer.slice(), position)
        }
      }
      const value: unknown = Reflect.get(target, property, receiver)
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
    },
  })
}

describe('writeCheckpoint', () => {
  it('keeps several writes in flight without reusing a staging lane before its write settled', async () => {
    const vfs = new SimVfs({ seed: 11 })
    await vfs.mkdir('/db')
    const file = lateCopyingFile(await vfs.open('/db/data', { create: true }))
    // Twelve runs of two adjacent pages, separated by gaps: with 8 pages of staging each run is one
    // lane's coalesced write, and the lanes wrap around three times.
    const pages: CheckpointPage[] = []
    for (let run = 0; run < 12; run++) {
      for (const id of [2 + run * 3, 3 + run * 3]) {
        const image = new Uint8Array(PAGE_SIZE).fill(id)
        pages.push({ id, type: 16, image })
      }
    }
    const meta = { checkpointId: 1, checkpointLsn: 7, rootPageId: 2, pageCount: 38, freeListPageId: 0, freePageCount: 0 }
    await writeCheckpoint({ file, pageSize: PAGE_SIZE, pages, meta, fileSize: 0, staging: new Uint8Array(8 * PAGE_SIZE) })
    const read = new Uint8Array(PAGE_SIZE)
    const wrong: number[] = []
    for (const { id } of pages) {
      file.readSync(read, id * PAGE_SIZE)
      verifyPage(read, id, '/db/data')
      if (read[PAGE_SIZE - 1] !== id) wrong.push(id)
    }
    expect(wrong).toEqual([])
  })
})
