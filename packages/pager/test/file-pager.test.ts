import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { NodeVfs, SimVfs, TinyDbError } from '@tinydb/vfs'
import type { DurableStep, OpenOptions, QueuedDurable, Vfs, VfsFile } from '@tinydb/vfs'
import { asyncCodeOf, describeBody, stamp } from '../src/conformance-support.js'
import { FilePager } from '../src/index.js'
import { RecordingVfs } from './support/recording-vfs.js'
import type { FileCall } from './support/recording-vfs.js'

const PATH = '/db/data.tdb'
const USER = 16

async function freshVfs(): Promise<SimVfs> {
  const vfs = new SimVfs({ seed: 5 })
  await vfs.mkdir('/db')
  await vfs.syncDir('/')
  return vfs
}

/** `vfs`, with every sequence its files queue kept in `queued`, in order, where a test can look at it. */
function queueListing(vfs: Vfs): { vfs: Vfs; queued: QueuedDurable[] } {
  const queued: QueuedDurable[] = []
  const listing: Vfs = Object.assign(Object.create(vfs) as Vfs, {
    async open(path: string, options?: OpenOptions): Promise<VfsFile> {
      const file = await vfs.open(path, options)
      return Object.assign(Object.create(file) as VfsFile, {
        queueDurable(steps: readonly DurableStep[]): QueuedDurable {
          const sequence = file.queueDurable(steps)
          queued.push(sequence)
          return sequence
        },
      })
    },
  })
  return { vfs: listing, queued }
}

describe('FilePager.open', () => {
  it('refuses a page size that is not a power of two in [512, 65536], a negative cache size and a bad flush size', async () => {
    const vfs = await freshVfs()
    for (const pageSize of [0, 256, 1000, 131072, 4096.5]) {
      expect(`pageSize ${pageSize}: ${await asyncCodeOf(() => FilePager.open(vfs, PATH, { pageSize }))}`).toBe(`pageSize ${pageSize}: INVALID_ARGUMENT`)
    }
    for (const cacheSize of [-1, Number.NaN]) {
      expect(`cacheSize ${cacheSize}: ${await asyncCodeOf(() => FilePager.open(vfs, PATH, { cacheSize }))}`).toBe(`cacheSize ${cacheSize}: INVALID_ARGUMENT`)
    }
    for (const checkpointFlushAfter of [-1, 0.5, Number.NaN, Infinity]) {
      expect(`checkpointFlushAfter ${checkpointFlushAfter}: ${await asyncCodeOf(() => FilePager.open(vfs, PATH, { checkpointFlushAfter }))}`).toBe(
        `checkpointFlushAfter ${checkpointFlushAfter}: INVALID_ARGUMENT`,
      )
    }
    expect(await vfs.exists(PATH)).toBe(false)
  })

  it("uses the file's page size over the option", async () => {
    const vfs = await freshVfs()
    await (await FilePager.open(vfs, PATH, { pageSize: 16384 })).close()
    const pager = await FilePager.open(vfs, PATH, { pageSize: 512 })
    expect([pager.pageSize, pager.bodySize]).toEqual([16384, 16384 - 16])
    await pager.close()
  })

  it('creates the file durably: both meta pages, file and directory synced, nothing left behind', async () => {
    const vfs = await freshVfs()
    await (await FilePager.open(vfs, PATH, { pageSize: 512 })).close()
    vfs.crash({ mode: 'drop' })
    expect(vfs.listDurable()).toEqual(['/db/', PATH])
    expect(vfs.readDurable(PATH).length).toBe(1024)
  })

  it('a missing file is IO when its directory does not exist', async () => {
    const vfs = await freshVfs()
    const error = await FilePager.open(vfs, '/nowhere/data.tdb').then(() => undefined, (e: unknown) => e)
    expect(TinyDbError.isInstance(error) && error.code).toBe('IO')
  })
})

describe('FilePager checkpoint writes', () => {
  it('writes sealed pages in id order, one write per run of adjacent pages, then sync, meta, sync', async () => {
    const recording = new RecordingVfs(await freshVfs())
    const pager = await FilePager.open(recording, PATH, { pageSize: 512 })
    const ids = Array.from({ length: 12 }, (_, i) => pager.allocate(USER + (i % 3)).id) // 2..13
    // Freed while writable: 5 becomes the free-list page (listing 9), 9 stays free and breaks the run.
    pager.free(5)
    pager.free(9)
    expect(ids).toEqual([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13])
    const before = recording.calls.length
    await pager.beginCheckpoint({ rootPageId: 2, checkpointLsn: 1 }).commit()
    const expected: FileCall[] = [
      // The first commit of an open first makes the meta it builds on durable (data-file.ts).
      { op: 'write', position: 0, length: 512 },
      { op: 'sync' },
      { op: 'write', position: 2 * 512, length: 7 * 512 },
      { op: 'write', position: 10 * 512, length: 4 * 512 },
      { op: 'sync' },
      { op: 'write', position: 512, length: 512 }, // meta slot 1 for checkpoint 1
      { op: 'sync' },
    ]
    expect(recording.calls.slice(before)).toEqual(expected)
    expect(pager.accounting()).toEqual({ pageCount: 14, internal: [0, 1, 5], free: [9], pendingFree: [], retained: [] })
    await pager.close()
  })

  it('extends the file to cover pages that were freed before ever being written', async () => {
    const vfs = await freshVfs()
    const recording = new RecordingVfs(vfs)
    const pager = await FilePager.open(recording, PATH, { pageSize: 512 })
    for (let i = 0; i < 200; i++) pager.allocate(USER)
    for (let id = 3; id < 202; id++) pager.free(id) // free list: 199 ids, two free-list pages (3 and 4)
    const before = recording.calls.length
    const meta = await pager.beginCheckpoint({ rootPageId: 2, checkpointLsn: 1 }).commit()
    expect(meta.pageCount).toBe(202)
    expect(recording.calls.slice(before).filter((call) => call.op === 'truncate')).toEqual([{ op: 'truncate', size: 202 * 512 }])
    expect(pager.accounting().internal).toEqual([0, 1, 3, 4])
    await pager.close()
    vfs.crash({ mode: 'drop' })
    const reopened = await FilePager.open(vfs, PATH)
    expect(reopened.accounting().free.length).toBe(197)
    await reopened.close()
  })

  it('close waits for a commit in progress', async () => {
    const vfs = await freshVfs()
    const pager = await FilePager.open(vfs, PATH, { pageSize: 512 })
    stamp(pager.allocate(USER).body, 7)
    const committing = pager.beginCheckpoint({ rootPageId: 2, checkpointLsn: 1 }).commit()
    await pager.close()
    expect((await committing).checkpointId).toBe(1)
    vfs.crash({ mode: 'drop' })
    const reopened = await FilePager.open(vfs, PATH)
    expect([reopened.meta.checkpointId, describeBody(reopened.read(2).body)]).toEqual([1, 'tag 7'])
    await reopened.close()
  })

  it('close completes a checkpoint whose writes are durable at once, without waiting for their report', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tinydb-pager-'))
    try {
      const { vfs, queued: sequences } = queueListing(new NodeVfs())
      const pager = await FilePager.open(vfs, join(dir, 'data.tdb'), { pageSize: 512 })
      stamp(pager.allocate(USER).body, 7)
      const committing = pager.beginCheckpoint({ rootPageId: 2, checkpointLsn: 1 }).commit()
      // Without yielding: the worker makes it durable, and its report waits for this thread.
      const deadline = Date.now() + 10_000
      while (sequences[0]?.isDurable() !== true && Date.now() < deadline) {
        // spin
      }
      expect(pager.meta.checkpointId).toBe(0)
      const closing = pager.close()
      expect(pager.meta.checkpointId).toBe(1) // completed synchronously, inside close
      await closing
      expect((await committing).checkpointId).toBe(1)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})

describe('FilePager checkpoint stamping', () => {
  const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))

  /** After a power cut: pages 2.. hold tags 1..`count`, each read with its checksum verified. */
  async function expectTagsAfterPowerCut(sim: SimVfs, count: number): Promise<void> {
    sim.crash({ mode: 'drop' })
    const reopened = await FilePager.open(sim, PATH, { verify: true })
    for (let id = 2; id < count + 2; id++) expect(describeBody(reopened.read(id).body)).toBe(`tag ${id - 1}`)
    await reopened.close()
  }

  it('incremental: queues a small checkpoint at once, and stamps a large one over several turns of the event loop first', async () => {
    const sim = await freshVfs()
    const { vfs, queued } = queueListing(sim)
    const pager = await FilePager.open(vfs, PATH, { pageSize: 512, verify: true })
    for (let tag = 1; tag <= 10; tag++) stamp(pager.allocate(USER).body, tag)
    const small = pager.beginCheckpoint({ rootPageId: 2, checkpointLsn: 1 }).commit({ incremental: true })
    expect(queued.length).toBe(1)
    await small
    for (let tag = 11; tag <= 610; tag++) stamp(pager.allocate(USER).body, tag)
    const large = pager.beginCheckpoint({ rootPageId: 2, checkpointLsn: 2 }).commit({ incremental: true })
    let turns = 0
    while (queued.length === 1) {
      await turn()
      turns++
    }
    expect(turns).toBeGreaterThanOrEqual(1) // commits of the process could run in between
    expect((await large).checkpointId).toBe(2)
    await pager.close()
    await expectTagsAfterPowerCut(sim, 610)
  })

  it('without incremental, a large checkpoint is queued at once; asking so during its slices finishes them at once', async () => {
    const sim = await freshVfs()
    const { vfs, queued } = queueListing(sim)
    const pager = await FilePager.open(vfs, PATH, { pageSize: 512, verify: true })
    for (let tag = 1; tag <= 600; tag++) stamp(pager.allocate(USER).body, tag)
    await pager.beginCheckpoint({ rootPageId: 2, checkpointLsn: 1 }).commit()
    expect(queued.length).toBe(1)
    for (let tag = 601; tag <= 1200; tag++) stamp(pager.allocate(USER).body, tag)
    const pending = pager.beginCheckpoint({ rootPageId: 2, checkpointLsn: 2 })
    const sliced = pending.commit({ incremental: true })
    expect(queued.length).toBe(1)
    const atOnce = pending.commit()
    expect(queued.length).toBe(2)
    expect((await sliced).checkpointId).toBe(2)
    expect(await atOnce).toEqual(await sliced)
    await turn() // a slice still scheduled finds the writes queued, and does nothing
    expect(queued.length).toBe(2)
    await pager.close()
    await expectTagsAfterPowerCut(sim, 1200)
  })

  it('incremental: stamps what is left at once when the thread took long to turn (a bulk load between slices)', async () => {
    const sim = await freshVfs()
    const { vfs, queued } = queueListing(sim)
    const pager = await FilePager.open(vfs, PATH, { pageSize: 512 })
    for (let tag = 1; tag <= 2000; tag++) stamp(pager.allocate(USER).body, tag) // several slices' worth
    const committing = pager.beginCheckpoint({ rootPageId: 2, checkpointLsn: 1 }).commit({ incremental: true })
    expect(queued.length).toBe(0)
    const busyUntil = performance.now() + 20 // longer than slices are given
    while (performance.now() < busyUntil);
    await turn()
    expect(queued.length).toBe(1)
    expect((await committing).checkpointId).toBe(1)
    await pager.close()
  })

  it('folds a seal made while the checkpoint before it is being stamped into it', async () => {
    const sim = await freshVfs()
    const pager = await FilePager.open(sim, PATH, { pageSize: 512, verify: true })
    for (let tag = 1; tag <= 600; tag++) stamp(pager.allocate(USER).body, tag)
    const first = pager.beginCheckpoint({ rootPageId: 2, checkpointLsn: 1 })
    const firstDurable = first.commit({ incremental: true })
    // Before its stamping ends: ten of its pages replaced by copies (copy-on-write), five added.
    const copies = new Map<number, number>()
    for (let id = 3; id < 13; id++) {
      pager.free(id)
      const copy = pager.allocate(USER)
      stamp(copy.body, 1000 + id)
      copies.set(copy.id, 1000 + id)
    }
    for (let tag = 2000; tag < 2005; tag++) {
      const added = pager.allocate(USER)
      stamp(added.body, tag)
      copies.set(added.id, tag)
    }
    const second = pager.beginCheckpoint({ rootPageId: 2, checkpointLsn: 2 })
    expect(second.checkpointId).toBe(first.checkpointId)
    const [a, b] = await Promise.all([firstDurable, second.commit({ incremental: true })])
    expect([a, b].map((meta) => [meta.checkpointId, meta.checkpointLsn])).toEqual([[1, 2], [1, 2]])
    await pager.close()
    sim.crash({ mode: 'drop' })
    const reopened = await FilePager.open(sim, PATH, { verify: true })
    // The replaced pages are free again (one of them holding the free list itself).
    const { free, internal } = reopened.accounting()
    expect([...free, ...internal.filter((id) => id > 1)].sort((x, y) => x - y)).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12])
    for (let id = 13; id < 602; id++) expect(describeBody(reopened.read(id).body)).toBe(`tag ${id - 1}`)
    for (const [id, tag] of copies) expect(describeBody(reopened.read(id).body)).toBe(`tag ${tag}`)
    await reopened.close()
  })

  it('close queues a checkpoint still being stamped, and waits for it', async () => {
    const sim = await freshVfs()
    const pager = await FilePager.open(sim, PATH, { pageSize: 512, verify: true })
    for (let tag = 1; tag <= 600; tag++) stamp(pager.allocate(USER).body, tag)
    const committing = pager.beginCheckpoint({ rootPageId: 2, checkpointLsn: 1 }).commit({ incremental: true })
    await pager.close()
    expect((await committing).checkpointId).toBe(1)
    await expectTagsAfterPowerCut(sim, 600) // checkpoint 1's: nothing else was ever committed
  })
})

describe('FilePager page cache', () => {
  async function storeOf(pages: number, cacheSize: number, verify = false) {
    const vfs = await freshVfs()
    const writer = await FilePager.open(vfs, PATH, { pageSize: 512 })
    for (let tag = 1; tag <= pages; tag++) stamp(writer.allocate(USER).body, tag)
    await writer.beginCheckpoint({ rootPageId: 2, checkpointLsn: 1 }).commit()
    await writer.close()
    return { vfs, pager: await FilePager.open(vfs, PATH, { cacheSize, verify }) }
  }

  it('a hit returns the same page object, with no read from the file', async () => {
    const { pager } = await storeOf(10, 1 << 20)
    const first = pager.read(5)
    const reads = pager.stats().pageReads
    expect(pager.read(5)).toBe(first)
    expect([pager.stats().pageReads, pager.stats().cacheHits, pager.stats().cacheMisses]).toEqual([reads, 1, 1])
    await pager.close()
  })

  it('keeps at most cacheSize bytes of clean pages, evicting the oldest not hit since it was queued', async () => {
    const { pager } = await storeOf(100, 8 * 512)
    for (let id = 2; id < 102; id++) expect(describeBody(pager.read(id).body)).toBe(`tag ${id - 1}`)
    expect(pager.stats().cachedPages).toBe(8)
    // 94..101 are cached, oldest first; a hit gives 94 a second chance, so 95 goes first.
    pager.read(94)
    pager.read(2) // miss: evicts 95
    const misses = pager.stats().cacheMisses
    pager.read(94)
    expect(pager.stats().cacheMisses).toBe(misses)
    pager.read(95)
    expect(pager.stats().cacheMisses).toBe(misses + 1)
    await pager.close()
  })

  it('pins writable and sealed pages, whatever the cache size', async () => {
    const vfs = await freshVfs()
    const pager = await FilePager.open(vfs, PATH, { pageSize: 512, cacheSize: 0 })
    for (let tag = 1; tag <= 50; tag++) stamp(pager.allocate(USER).body, tag)
    expect([pager.stats().dirtyPages, pager.stats().cachedPages]).toEqual([50, 0])
    const committing = pager.beginCheckpoint({ rootPageId: 2, checkpointLsn: 1 }).commit()
    for (let tag = 51; tag <= 60; tag++) stamp(pager.allocate(USER).body, tag)
    expect(pager.stats().dirtyPages).toBe(60)
    expect(describeBody(pager.read(2).body)).toBe('tag 1')
    await committing
    expect([pager.stats().dirtyPages, pager.stats().cachedPages]).toEqual([10, 0])
    expect(describeBody(pager.read(2).body)).toBe('tag 1') // from the file now
    expect(pager.stats().pageReads).toBe(1)
    await pager.close()
  })

  it('reuses the buffer of an evicted page for the next miss and the next allocate (zero-filled)', async () => {
    const { pager } = await storeOf(20, 2 * 512)
    const first = pager.read(2)
    const body = first.body
    pager.read(3)
    pager.read(4) // evicts page 2 (the oldest of three): its entry waits for reuse
    expect(describeBody(body)).toBe('tag 1') // nothing reads or allocates in between: still page 2's bytes
    const reused = pager.read(5) // a miss takes page 2's buffer and Page object
    expect([reused, reused.body.buffer === body.buffer, reused.id, describeBody(body)]).toEqual([first, true, 5, 'tag 4'])
    pager.read(6) // evicts 4, which the allocate takes and zero-fills
    const fresh = pager.allocate(USER)
    expect([fresh.body.every((byte) => byte === 0), pager.read(6).id, describeBody(pager.read(6).body)]).toEqual([true, 6, 'tag 5'])
    // Every page still reads back as its own, through many evictions and reuses.
    for (let round = 0; round < 3; round++) {
      for (let id = 2; id < 22; id++) expect(describeBody(pager.read(((id * 7 + round) % 20) + 2).body)).toBe(`tag ${((id * 7 + round) % 20) + 1}`)
    }
    await pager.close()
  })

  it('lets a freed clean page go at once; a retained reader reads it from the file, unchanged', async () => {
    const { pager } = await storeOf(10, 1 << 20)
    for (let id = 2; id < 12; id++) pager.read(id)
    const retention = pager.retain()
    pager.free(5)
    expect(pager.stats().cachedPages).toBe(9)
    const reads = pager.stats().pageReads
    expect(describeBody(pager.read(5).body)).toBe('tag 4')
    expect(pager.stats().pageReads).toBe(reads + 1)
    retention.release()
    await pager.close()
  })

  it('does not keep a page freed while its checkpoint was written once that checkpoint is durable', async () => {
    const vfs = await freshVfs()
    const pager = await FilePager.open(vfs, PATH, { pageSize: 512, cacheSize: 1 << 20 })
    for (let tag = 1; tag <= 10; tag++) stamp(pager.allocate(USER).body, tag)
    const committing = pager.beginCheckpoint({ rootPageId: 2, checkpointLsn: 1 }).commit()
    pager.free(4)
    await committing
    expect([pager.stats().cachedPages, pager.stats().dirtyPages]).toEqual([9, 0])
    const reads = pager.stats().pageReads
    expect(describeBody(pager.read(4).body)).toBe('tag 3') // still intact in the file until reused
    expect(pager.stats().pageReads).toBe(reads + 1)
    await pager.beginCheckpoint({ rootPageId: 2, checkpointLsn: 2 }).commit()
    expect(pager.accounting().free).toContain(4)
    await pager.close()
  })

  it('with verify on, a write through a read-only page is caught at the next read', async () => {
    const { pager } = await storeOf(3, 1 << 20, true)
    pager.read(3).body[10]! ^= 1
    expect(() => pager.read(3)).toThrow(/corruption in \/db\/data.tdb page 3 \(offset 1536\): the cached page changed in memory/)
    await pager.close()
    // Off (the default without TINYDB_VERIFY=1), hits cost no checksum and such a write goes unseen.
    const { pager: unverified } = await storeOf(3, 1 << 20, false)
    unverified.read(3).body[10]! ^= 1
    expect(() => unverified.read(3)).not.toThrow()
    await unverified.close()
  })
})
