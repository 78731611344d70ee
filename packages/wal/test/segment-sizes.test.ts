import { SimVfs } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { Wal } from '../src/index.js'
import { segmentPath } from '../src/segment-directory.js'
import { FIRST_SEGMENT_SIZE, SegmentSizes } from '../src/segment-sizes.js'
import { collect, payloadFor } from './support/fixtures.js'

const DIR = '/db/wal'
const MiB = 1024 * 1024

describe('SegmentSizes', () => {
  it('starts at FIRST_SEGMENT_SIZE and doubles up to the segment size', () => {
    const sizes = new SegmentSizes(8 * MiB)
    expect(sizes.peek()).toBe(FIRST_SEGMENT_SIZE)
    expect([sizes.take(), sizes.take(), sizes.take(), sizes.take(), sizes.take()]).toEqual([1 * MiB, 2 * MiB, 4 * MiB, 8 * MiB, 8 * MiB])
    expect(sizes.peek()).toBe(8 * MiB)
  })

  it('never goes past a segment size smaller than FIRST_SEGMENT_SIZE', () => {
    const sizes = new SegmentSizes(4096)
    expect([sizes.take(), sizes.take()]).toEqual([4096, 4096])
  })
})

describe('segment sizes of an open', () => {
  it('preallocates 1, 2, 4 MiB and then whole segments; every record reads back', async () => {
    const sim = new SimVfs({ seed: 41 })
    const segmentSize = 8 * MiB
    const wal = await Wal.open(sim, DIR, { segmentSize })
    const payloadSize = 60 * 1024
    // 16 MiB of records: fills the 1, 2 and 4 MiB segments and most of an 8 MiB one.
    const records = Math.ceil((16 * MiB) / payloadSize)
    for (let lsn = 1; lsn <= records; lsn++) expect(await wal.append(payloadFor(lsn, payloadSize))).toBe(lsn)
    await wal.close()
    expect([1, 2, 3, 4].map((seq) => sim.fileSize(segmentPath(DIR, seq)))).toEqual([1 * MiB, 2 * MiB, 4 * MiB, 8 * MiB])

    const reopened = await Wal.open(sim, DIR, { segmentSize })
    const read = await collect(reopened.read())
    expect(read.map((record) => record.lsn)).toEqual(Array.from({ length: records }, (_, index) => index + 1))
    for (const record of read) expect(Buffer.from(record.payload).equals(payloadFor(record.lsn, payloadSize))).toBe(true)
    // The spare prepared (to a whole segment) while segment 4 filled is taken as it is: no zeros written.
    expect(await reopened.append(payloadFor(records + 1, 10))).toBe(records + 1)
    await reopened.close()
    expect(sim.fileSize(segmentPath(DIR, 5))).toBe(8 * MiB)
  })

  it('with no spare left, the first append after a reopen makes a segment of FIRST_SEGMENT_SIZE', async () => {
    const sim = new SimVfs({ seed: 42 })
    const segmentSize = 8 * MiB
    const wal = await Wal.open(sim, DIR, { segmentSize })
    for (let lsn = 1; lsn <= 10; lsn++) await wal.append(payloadFor(lsn, 100))
    await wal.close()
    expect((await sim.readdir(DIR)).filter((name) => name.endsWith('.wal'))).toEqual(['0000000000000001.wal'])
    const reopened = await Wal.open(sim, DIR, { segmentSize })
    expect(await reopened.append(payloadFor(11, 100))).toBe(11)
    await reopened.close()
    expect(sim.fileSize(segmentPath(DIR, 1))).toBe(FIRST_SEGMENT_SIZE)
    expect(sim.fileSize(segmentPath(DIR, 2))).toBe(FIRST_SEGMENT_SIZE)
    const again = await Wal.open(sim, DIR, { segmentSize })
    expect((await collect(again.read())).map((record) => record.lsn)).toEqual(Array.from({ length: 11 }, (_, index) => index + 1))
    await again.close()
  })
})
