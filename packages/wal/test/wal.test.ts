import { readFileSync, statSync } from 'node:fs'
import { NodeVfs, SimVfs, TinyDbError } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { Wal } from '../src/index.js'
import { CountingVfs } from './support/counting-vfs.js'
import { collect, payloadFor, sameBytes, seededRandom, segmentFiles, tempWalDir } from './support/fixtures.js'

const vfs = new NodeVfs()

describe('Wal append and read', () => {
  it('starts a new log at lsn 1 and creates the directory', async () => {
    const dir = tempWalDir()
    const wal = await Wal.open(vfs, dir)
    expect(wal.openReport).toEqual({ segments: 0, firstLsn: 1, lastLsn: 0, discardedTailBytes: 0 })
    expect(wal.nextLsn).toBe(1)
    expect(wal.lastDurableLsn).toBe(0)
    expect(segmentFiles(dir)).toEqual([])
    expect(await wal.append(new Uint8Array([1, 2, 3]))).toBe(1)
    expect(await wal.append(new Uint8Array(0))).toBe(2)
    expect(wal.lastDurableLsn).toBe(2)
    const records = await collect(wal.read())
    expect(records.map((r) => [r.lsn, [...r.payload]])).toEqual([
      [1, [1, 2, 3]],
      [2, []],
    ])
    await wal.close()
  })

  it('round-trips records across many small segments, and reopens where it left off', async () => {
    const seed = 1234
    console.log('seed', seed)
    const random = seededRandom(seed)
    // In memory: this is about framing and segment rollover, not about the disk.
    const memory = new SimVfs({ seed })
    const dir = '/log'
    const wal = await Wal.open(memory, dir, { segmentSize: 1024 })
    const sizes: number[] = []
    for (let round = 0; round < 20; round++) {
      const batch: Promise<number>[] = []
      const count = 1 + Math.floor(random() * 10)
      for (let i = 0; i < count; i++) {
        const size = Math.floor(random() * (random() < 0.1 ? 3000 : 200))
        sizes.push(size)
        batch.push(wal.append(payloadFor(sizes.length, size)))
      }
      expect(await Promise.all(batch)).toEqual(batch.map((_, i) => sizes.length - count + 1 + i))
    }
    expect((await memory.readdir(dir)).length).toBeGreaterThan(10)
    const check = async (log: Wal, from: number) => {
      const records = await collect(log.read(from))
      expect(records.map((r) => r.lsn)).toEqual(sizes.map((_, i) => i + 1).slice(from - 1))
      const wrong = records.filter((record) => !sameBytes(record.payload, payloadFor(record.lsn, sizes[record.lsn - 1] as number)))
      expect(wrong.map((record) => record.lsn)).toEqual([])
    }
    await check(wal, 1)
    await check(wal, 17)
    await wal.close()

    const reopened = await Wal.open(memory, dir, { segmentSize: 1024 })
    expect(reopened.openReport).toMatchObject({ firstLsn: 1, lastLsn: sizes.length, discardedTailBytes: 0 })
    expect(reopened.nextLsn).toBe(sizes.length + 1)
    await check(reopened, 1)
    expect(await reopened.append(payloadFor(sizes.length + 1, 10))).toBe(sizes.length + 1)
    sizes.push(10)
    await check(reopened, 1)
    await reopened.close()
    const again = await Wal.open(memory, dir, { segmentSize: 1024 })
    await check(again, 1)
    await again.close()
  })

  it('gives a commit group larger than a segment a segment of its own size', async () => {
    const dir = tempWalDir()
    const wal = await Wal.open(vfs, dir, { segmentSize: 512 })
    const lsns = await Promise.all([wal.append(payloadFor(1, 100)), wal.append(payloadFor(2, 2000)), wal.append(payloadFor(3, 100))])
    expect(lsns).toEqual([1, 2, 3])
    const files = segmentFiles(dir)
    const big = files.map((path) => statSync(path).size).filter((size) => size > 2000)
    expect(big.length).toBe(1)
    await wal.close()
    const reopened = await Wal.open(vfs, dir, { segmentSize: 512 })
    expect((await collect(reopened.read())).map((r) => r.payload.length)).toEqual([100, 2000, 100])
    await reopened.close()
  })

  it('starts a new segment on the first append after every open', async () => {
    const dir = tempWalDir()
    for (let open = 0; open < 3; open++) {
      const wal = await Wal.open(vfs, dir)
      await wal.append(payloadFor(open + 1, 8))
      await wal.close()
    }
    const files = segmentFiles(dir)
    // Three segments in use, plus the spare prepared ahead of the next rollover.
    const used = files.filter((path) => readFileSync(path).subarray(0, 4).toString('latin1') === 'TWAL')
    expect(used.length).toBe(3)
    const wal = await Wal.open(vfs, dir)
    expect(wal.openReport).toMatchObject({ segments: 3, firstLsn: 1, lastLsn: 3 })
    await wal.close()
  })

  it('copies the payload before append returns', async () => {
    const wal = await Wal.open(vfs, tempWalDir())
    const payload = new Uint8Array([7, 7, 7])
    const pending = wal.append(payload)
    payload.fill(0)
    await pending
    expect([...((await collect(wal.read()))[0]?.payload ?? [])]).toEqual([7, 7, 7])
    await wal.close()
  })
})

describe('group commit', () => {
  it('shares fdatasyncs between concurrent appends', async () => {
    const counting = new CountingVfs()
    const dir = tempWalDir()
    const wal = await Wal.open(counting, dir)
    await wal.append(payloadFor(1, 10)) // the first append also prepares and starts a segment
    const before = counting.syncs
    const lsns = await Promise.all(Array.from({ length: 100 }, (_, i) => wal.append(payloadFor(i + 2, 50))))
    expect(lsns).toEqual(Array.from({ length: 100 }, (_, i) => i + 2))
    // All 100 were issued in one tick: one group, one durable (O_DSYNC) write of the segment (the
    // spare prepared in the background may sync too).
    expect(counting.syncsOf(segmentFiles(dir)[0] as string, before)).toBe(1)
    await wal.close()
  })

  it('gathers appends made while a group is being written into the next group', async () => {
    const counting = new CountingVfs()
    const dir = tempWalDir()
    const wal = await Wal.open(counting, dir)
    await wal.append(payloadFor(1, 10))
    const before = counting.syncs
    const appends: Promise<number>[] = []
    let resolved = 0
    for (let i = 0; i < 100; i++) {
      appends.push(wal.append(payloadFor(i + 2, 20)).then((lsn) => (resolved++, lsn)))
      if (i % 10 === 9) await new Promise((resolve) => setImmediate(resolve))
    }
    await Promise.all(appends)
    expect(resolved).toBe(100)
    const syncs = counting.syncsOf(segmentFiles(dir)[0] as string, before)
    expect(syncs).toBeGreaterThanOrEqual(1)
    expect(syncs).toBeLessThanOrEqual(10)
    await wal.close()
  })

  it('resolves appends in LSN order', async () => {
    const wal = await Wal.open(vfs, tempWalDir(), { segmentSize: 1024 })
    const order: number[] = []
    const appends: Promise<void>[] = []
    for (let i = 0; i < 200; i++) {
      appends.push(wal.append(payloadFor(i + 1, 40)).then((lsn) => void order.push(lsn)))
      if (i % 7 === 0) await Promise.resolve()
    }
    await Promise.all(appends)
    expect(order).toEqual(Array.from({ length: 200 }, (_, i) => i + 1))
    await wal.close()
  })

  it("issues no fdatasync per group in durability 'none', and syncs once on close", async () => {
    const counting = new CountingVfs()
    const dir = tempWalDir()
    const wal = await Wal.open(counting, dir, { durability: 'none', segmentSize: 4096 })
    for (let i = 0; i < 50; i++) await wal.append(payloadFor(i + 1, 100))
    expect(counting.syncs).toBe(0)
    expect(counting.syncDirs).toBe(0)
    expect(wal.lastDurableLsn).toBe(50)
    await wal.close()
    expect(counting.syncs).toBe(1)
    const reopened = await Wal.open(vfs, dir)
    expect(reopened.openReport.lastLsn).toBe(50)
    expect((await collect(reopened.read())).length).toBe(50)
    await reopened.close()
  })
})

describe('limits and lifecycle', () => {
  it('rejects a payload over maxRecordSize with TOO_LARGE and writes nothing', async () => {
    const counting = new CountingVfs()
    const wal = await Wal.open(counting, tempWalDir(), { maxRecordSize: 100 })
    await expect(wal.append(new Uint8Array(101))).rejects.toMatchObject({ code: 'TOO_LARGE' })
    expect(counting.writes).toBe(0)
    expect(wal.nextLsn).toBe(1)
    expect(await wal.append(new Uint8Array(100))).toBe(1)
    await wal.close()
  })

  it('rejects appends after close with CLOSED; close twice is a no-op', async () => {
    const wal = await Wal.open(vfs, tempWalDir())
    const inFlight = wal.append(payloadFor(1, 10))
    const closing = wal.close()
    await expect(wal.append(payloadFor(2, 10))).rejects.toMatchObject({ code: 'CLOSED' })
    expect(await inFlight).toBe(1) // close waits for appends in flight
    await closing
    await wal.close()
    await expect(wal.append(payloadFor(2, 10))).rejects.toBeInstanceOf(TinyDbError)
    expect(() => wal.read()).toThrow(expect.objectContaining({ code: 'CLOSED' }))
    await expect(wal.dropBefore(1)).rejects.toMatchObject({ code: 'CLOSED' })
  })

  it('validates its arguments', async () => {
    const dir = tempWalDir()
    await expect(Wal.open(vfs, dir, { segmentSize: 10 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(Wal.open(vfs, dir, { maxRecordSize: -1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await expect(Wal.open(vfs, dir, { durability: 'fast' as 'none' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    const wal = await Wal.open(vfs, dir)
    await expect(wal.append('text' as unknown as Uint8Array)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    expect(() => wal.read(1.5)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    await expect(wal.dropBefore(-1)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' })
    await wal.close()
  })

  it('estimates the log bytes after an lsn', async () => {
    const wal = await Wal.open(vfs, tempWalDir(), { segmentSize: 4096 })
    for (let i = 0; i < 100; i++) await wal.append(payloadFor(i + 1, 100))
    const all = wal.bytesSince(0)
    // 100 frames of 120 bytes, give or take the estimate.
    expect(all).toBeGreaterThanOrEqual(100 * 120)
    expect(all).toBeLessThan(100 * 120 + 4096)
    expect(wal.bytesSince(100)).toBe(0)
    const half = wal.bytesSince(50)
    expect(half).toBeGreaterThan(all * 0.4)
    expect(half).toBeLessThan(all * 0.6)
    await wal.close()
  })
})
