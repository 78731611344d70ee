import { SimVfs } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { checkpointSteps } from '../src/checkpoint-writer.js'
import type { CheckpointPage } from '../src/checkpoint-writer.js'
import { decodeMeta } from '../src/meta-format.js'
import { CRC32_PAGE_CHECKSUM, FORMAT_VERSION } from '../src/page-checksum.js'
import { decodePageHeader, verifyPage } from '../src/page-format.js'

const PAGE_SIZE = 512

const page = (id: number, pageSize = PAGE_SIZE, stamped = false): CheckpointPage => ({
  id,
  type: 16,
  image: new Uint8Array(pageSize).fill(id & 0xff),
  stamped,
})

describe('checkpointSteps', () => {
  it('gathers each run of adjacent pages into one write, stamps every page, and ends with the meta step', async () => {
    // Twelve runs of two adjacent pages, separated by gaps, and one lone page.
    const pages: CheckpointPage[] = []
    for (let run = 0; run < 12; run++) pages.push(page(2 + run * 3), page(3 + run * 3))
    pages.push(page(40))
    const meta = { checkpointId: 1, checkpointLsn: 7, rootPageId: 2, pageCount: 41, freeListPageId: 0, freePageCount: 0 }
    const steps = checkpointSteps({ pageSize: PAGE_SIZE, pages, meta, formatVersion: FORMAT_VERSION, checksum: CRC32_PAGE_CHECKSUM, flushAfter: 0 })
    expect(steps.map((step) => [step.writes.map((write) => write.buffers.length), step.minimumSize])).toEqual([
      [[...Array.from({ length: 12 }, () => 2), 1], 41 * PAGE_SIZE],
      [[1], undefined],
    ])
    // The meta goes to slot 1 (checkpoint 1 is odd), after the pages' sync.
    expect(steps[1]!.writes[0]!.position).toBe(PAGE_SIZE)

    const vfs = new SimVfs({ seed: 11 })
    await vfs.mkdir('/db')
    const file = await vfs.open('/db/data', { create: true })
    expect(await file.queueDurable(steps).done).toBe('durable')
    const read = new Uint8Array(PAGE_SIZE)
    const wrong: number[] = []
    for (const { id } of pages) {
      file.readSync(read, id * PAGE_SIZE)
      verifyPage(read, id, '/db/data', CRC32_PAGE_CHECKSUM)
      if (read[PAGE_SIZE - 1] !== id || decodePageHeader(read).writtenBy !== 1) wrong.push(id)
    }
    expect(wrong).toEqual([])
    file.readSync(read, PAGE_SIZE)
    expect(decodeMeta(read, 1, PAGE_SIZE)).toMatchObject({ status: 'valid', meta })
    await file.close()
  })

  it('splits a long run into writes of at most 256 KiB', () => {
    const pageSize = 4096
    // 200 adjacent pages (800 KiB): 64 + 64 + 64 + 8.
    const pages = Array.from({ length: 200 }, (_, index) => page(2 + index, pageSize))
    const meta = { checkpointId: 1, checkpointLsn: 7, rootPageId: 2, pageCount: 202, freeListPageId: 0, freePageCount: 0 }
    const steps = checkpointSteps({ pageSize, pages, meta, formatVersion: FORMAT_VERSION, checksum: CRC32_PAGE_CHECKSUM, flushAfter: 0 })
    expect(steps[0]!.writes.map((write) => [write.position / pageSize, write.buffers.length])).toEqual([
      [2, 64],
      [66, 64],
      [130, 64],
      [194, 8],
    ])
  })

  it('syncs the pages every flushAfter bytes: a step ends before the run that would take it past the limit', () => {
    const pageSize = 4096
    // Runs of 3, 1, 2 and 5 adjacent pages, then a lone page; 4 pages (16 KiB) per sync.
    const ids = [2, 3, 4, 10, 20, 21, 30, 31, 32, 33, 34, 40]
    const pages = ids.map((id) => page(id, pageSize))
    const meta = { checkpointId: 2, checkpointLsn: 7, rootPageId: 2, pageCount: 50, freeListPageId: 0, freePageCount: 0 }
    const steps = checkpointSteps({ pageSize, pages, meta, formatVersion: FORMAT_VERSION, checksum: CRC32_PAGE_CHECKSUM, flushAfter: 4 * pageSize })
    const layout = steps.map((step) => [step.writes.map((write) => [write.position / pageSize, write.buffers.length]), step.minimumSize])
    expect(layout).toEqual([
      [[[2, 3], [10, 1]], undefined],
      [[[20, 2]], undefined],
      // A run longer than a step is cut at the step's size.
      [[[30, 4]], undefined],
      [[[34, 1], [40, 1]], 50 * pageSize],
      // The meta, in slot 0 (checkpoint 2 is even), only after every page's sync.
      [[[0, 1]], undefined],
    ])
  })

  it('with flushAfter below a page, syncs after every page; with 0, once after all of them', () => {
    const pageSize = 512
    const pages = [2, 3, 4].map((id) => page(id, pageSize))
    const meta = { checkpointId: 1, checkpointLsn: 7, rootPageId: 2, pageCount: 5, freeListPageId: 0, freePageCount: 0 }
    const layout = { pageSize, pages, meta, formatVersion: FORMAT_VERSION, checksum: CRC32_PAGE_CHECKSUM }
    expect(checkpointSteps({ ...layout, flushAfter: 1 }).map((step) => step.writes.length)).toEqual([1, 1, 1, 1])
    expect(checkpointSteps({ ...layout, flushAfter: 0 }).map((step) => step.writes.length)).toEqual([1, 1])
  })

  it('an empty checkpoint is the size step and the meta step', () => {
    const meta = { checkpointId: 3, checkpointLsn: 7, rootPageId: 0, pageCount: 2, freeListPageId: 0, freePageCount: 0 }
    const steps = checkpointSteps({ pageSize: PAGE_SIZE, pages: [], meta, formatVersion: FORMAT_VERSION, checksum: CRC32_PAGE_CHECKSUM, flushAfter: PAGE_SIZE })
    expect(steps.map((step) => [step.writes.length, step.minimumSize])).toEqual([
      [0, 2 * PAGE_SIZE],
      [1, undefined],
    ])
  })

  it('leaves the header of a page already stamped for this checkpoint alone (a folded checkpoint laid out again)', () => {
    const stamped = page(2, PAGE_SIZE, true)
    const fresh = page(3)
    const before = stamped.image.slice()
    const meta = { checkpointId: 5, checkpointLsn: 7, rootPageId: 2, pageCount: 4, freeListPageId: 0, freePageCount: 0 }
    checkpointSteps({ pageSize: PAGE_SIZE, pages: [stamped, fresh], meta, formatVersion: FORMAT_VERSION, checksum: CRC32_PAGE_CHECKSUM, flushAfter: 0 })
    expect(stamped.image).toEqual(before)
    expect(verifyPage(fresh.image, 3, '/db/data', CRC32_PAGE_CHECKSUM).writtenBy).toBe(5)
  })
})
