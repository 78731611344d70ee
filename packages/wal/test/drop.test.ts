import { readFileSync, writeFileSync } from 'node:fs'
import { NodeVfs } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { Wal } from '../src/index.js'
import { encodeSegmentHeader } from '../src/segment-format.js'
import { CountingVfs } from './support/counting-vfs.js'
import { collect, payloadFor, segmentFiles, tempWalDir } from './support/fixtures.js'

const vfs = new NodeVfs()
const OPTIONS = { segmentSize: 1024 } as const
// 100-byte payloads make 120-byte frames: 8 per 1024-byte segment, so segment k holds 8k-7..8k.
const PAYLOAD = 100

async function writeRecords(wal: Wal, from: number, to: number): Promise<void> {
  for (let lsn = from; lsn <= to; lsn++) expect(await wal.append(payloadFor(lsn, PAYLOAD))).toBe(lsn)
}

async function lsnsIn(wal: Wal, from?: number): Promise<number[]> {
  return (await collect(wal.read(from))).map((record) => record.lsn)
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

describe('dropBefore', () => {
  it('drops the segments whose records all precede lsn - 1, keeping the one that holds lsn - 1', async () => {
    const dir = tempWalDir()
    const wal = await Wal.open(vfs, dir, OPTIONS)
    await writeRecords(wal, 1, 40)
    await wal.dropBefore(17) // segment 2 (9..16) holds lsn 16: kept
    expect((await lsnsIn(wal))[0]).toBe(9)
    await wal.dropBefore(18) // now segment 2 holds only records before 17
    expect(await lsnsIn(wal)).toEqual(range(17, 40))
    await wal.dropBefore(30)
    expect(await lsnsIn(wal)).toEqual(range(25, 40))
    expect(wal.bytesSince(24)).toBe(16 * 120)
    await wal.close()
    const reopened = await Wal.open(vfs, dir, OPTIONS)
    expect(reopened.openReport).toEqual({ segments: 2, firstLsn: 25, lastLsn: 40, discardedTailBytes: 0 })
    expect(await lsnsIn(reopened, 1)).toEqual(range(25, 40))
    await reopened.close()
  })

  it('never drops the last segment, so LSNs continue after a reopen', async () => {
    const dir = tempWalDir()
    const wal = await Wal.open(vfs, dir, OPTIONS)
    await writeRecords(wal, 1, 20)
    await wal.dropBefore(1000)
    expect(await lsnsIn(wal)).toEqual(range(17, 20))
    await wal.close()
    const reopened = await Wal.open(vfs, dir, OPTIONS)
    expect(reopened.openReport).toMatchObject({ segments: 1, firstLsn: 17, lastLsn: 20 })
    await reopened.dropBefore(1000) // the only segment: kept although every record precedes 999
    expect(reopened.nextLsn).toBe(21)
    await reopened.close()
  })

  it('recycles dropped segments instead of creating new files', async () => {
    const dir = tempWalDir()
    const counting = new CountingVfs()
    const wal = await Wal.open(counting, dir, OPTIONS)
    const names = new Set<string>()
    for (let round = 0; round < 12; round++) {
      await writeRecords(wal, round * 16 + 1, round * 16 + 16)
      await wal.dropBefore(round * 16 + 16)
      for (const path of segmentFiles(dir)) names.add(path)
      expect(segmentFiles(dir).length).toBeLessThanOrEqual(6)
    }
    // 24 segments were used under as many names, in a handful of files.
    expect(names.size).toBeGreaterThan(20)
    expect(counting.creates).toBeLessThanOrEqual(5)
    expect(await lsnsIn(wal)).toEqual(range(185, 192))
    await wal.close()
    const reopened = await Wal.open(vfs, dir, OPTIONS)
    expect(reopened.openReport).toMatchObject({ firstLsn: 185, lastLsn: 192, discardedTailBytes: 0 })
    await reopened.close()
  })

  it('never replays the stale frames of a recycled segment', async () => {
    const dir = tempWalDir()
    const wal = await Wal.open(vfs, dir, OPTIONS)
    await writeRecords(wal, 1, 24) // segments 1..3, spare 4 prepared
    await wal.dropBefore(20) // segment 1 is recycled as spare 5, segment 2 deleted
    await writeRecords(wal, 25, 33) // 25..32 fill spare 4; 33 starts the recycled file
    await wal.close()
    const recycled = segmentFiles(dir).find((path) => readFileSync(path).readUInt32LE(16) === 33) as string
    // The old frames of records 2..8 lie right behind record 33.
    expect(readFileSync(recycled).readUInt32LE(32 + 120 + 8)).toBe(2)
    const reopened = await Wal.open(vfs, dir, OPTIONS)
    expect(reopened.openReport).toMatchObject({ lastLsn: 33, discardedTailBytes: 0 })
    expect(await lsnsIn(reopened, 20)).toEqual(range(20, 33))
    await reopened.close()
  })

  it('never validates a frame under another incarnation’s salt, even at the expected LSN', async () => {
    const dir = tempWalDir()
    const wal = await Wal.open(vfs, dir, OPTIONS)
    await writeRecords(wal, 1, 5)
    await wal.close()
    const [segment] = segmentFiles(dir) as [string]
    const bytes = readFileSync(segment)
    const salt = bytes.readUInt32LE(24)
    encodeSegmentHeader({ seq: 1, firstLsn: 1, salt: (salt + 1) >>> 0 }).copy(bytes, 0)
    writeFileSync(segment, bytes)
    const reopened = await Wal.open(vfs, dir, OPTIONS)
    // Record 1's header names the expected LSN, so it counts as a torn frame; 2..5 do not validate.
    expect(reopened.openReport).toMatchObject({ lastLsn: 0, discardedTailBytes: 120 })
    expect(await lsnsIn(reopened)).toEqual([])
    await reopened.close()
  })

  it('lets a read run on while dropBefore removes segments it has not reached', async () => {
    const wal = await Wal.open(vfs, tempWalDir(), OPTIONS)
    await writeRecords(wal, 1, 40)
    const seen: number[] = []
    for await (const record of wal.read()) {
      seen.push(record.lsn)
      if (record.lsn === 1) await wal.dropBefore(30) // segments 1..3 go; segment 4 (25..32) holds 29
    }
    expect(seen).toEqual([...range(1, 8), ...range(25, 40)])
    await wal.close()
  })
})
