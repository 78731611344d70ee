import { join } from 'node:path'
import { NodeVfs, SimVfs, TinyDbError } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { CLEAN_END_FILE, CLEAN_END_SIZE, decodeCleanEnd, encodeCleanEnd } from '../src/clean-end.js'
import { Wal } from '../src/index.js'
import { collect, payloadFor, segmentFiles, tempWalDir } from './support/fixtures.js'

const HEADER = 32
const PAYLOAD = 100
const FRAME = 120 // 20-byte frame header + 100-byte payload, a multiple of 8

async function appendEach(wal: Wal, from: number, to: number): Promise<void> {
  for (let lsn = from; lsn <= to; lsn++) expect(await wal.append(payloadFor(lsn, PAYLOAD))).toBe(lsn)
}

describe('clean-end record', () => {
  it('round-trips, and any damaged byte makes it unreadable rather than wrong', () => {
    const record = { seq: 7, firstLsn: 2 ** 40 + 3, salt: 0xdeadbeef, endOffset: 4096, lastLsn: 2 ** 40 + 50 }
    const bytes = encodeCleanEnd(record)
    expect(bytes.length).toBe(CLEAN_END_SIZE)
    expect(decodeCleanEnd(bytes)).toEqual(record)
    for (let offset = 0; offset < CLEAN_END_SIZE; offset++) {
      const damaged = Buffer.from(bytes)
      damaged[offset] = (damaged[offset] as number) ^ 0x01
      expect(decodeCleanEnd(damaged), `byte ${offset}`).toBeUndefined()
    }
    expect(decodeCleanEnd(bytes.subarray(0, CLEAN_END_SIZE - 1))).toBeUndefined()
  })

  it('lets open skip the scan of the last segment after a clean close; damage is still caught when read', async () => {
    const vfs = new NodeVfs()
    const dir = tempWalDir()
    const wal = await Wal.open(vfs, dir)
    await appendEach(wal, 1, 10)
    await wal.close()
    const [segment] = segmentFiles(dir)
    // Rot in record 5 after the clean close. A scanning open would throw (a bad record followed by
    // later groups); with the record, open trusts the recorded end and reads nothing.
    const file = await vfs.open(segment as string)
    await file.write(new Uint8Array([0xff]), HEADER + 4 * FRAME + 60)
    await file.close()
    const reopened = await Wal.open(vfs, dir)
    expect(reopened.openReport).toEqual({ segments: 1, firstLsn: 1, lastLsn: 10, discardedTailBytes: 0 })
    expect(reopened.nextLsn).toBe(11)
    // Nothing corrupt is returned as data: reading the records reports the damage.
    const error = await collect(reopened.read()).then(
      () => undefined,
      (thrown: unknown) => thrown,
    )
    expect(TinyDbError.isInstance(error) && error.code).toBe('CORRUPTION')
    await reopened.close()
  })

  it('is ignored once a later open appended, even when it survives the crash that followed', async () => {
    const seed = 3
    const vfs = new SimVfs({ seed })
    const dir = '/db/wal'
    const options = { segmentSize: 4096 } as const
    const first = await Wal.open(vfs, dir, options)
    await appendEach(first, 1, 3)
    await first.close()
    // The worst case for a stale record: make it durable, name and bytes.
    const record = await vfs.open(join(dir, CLEAN_END_FILE))
    await record.sync()
    await record.close()
    await vfs.syncDir(dir)

    const second = await Wal.open(vfs, dir, options)
    await appendEach(second, 4, 6) // a new segment; records 4..6 are durable (acknowledged)
    vfs.crash({ mode: 'tear' }) // power loss before `second` closes
    const reopened = await Wal.open(vfs, dir, options)
    expect(reopened.openReport.lastLsn, `seed ${seed}`).toBe(6)
    const records = await collect(reopened.read())
    expect(records.map((r) => r.lsn)).toEqual([1, 2, 3, 4, 5, 6])
    for (const r of records) expect(r.payload).toEqual(payloadFor(r.lsn, PAYLOAD))
    await reopened.close()
  })

  it('is ignored when torn, and open scans instead', async () => {
    const vfs = new NodeVfs()
    const dir = tempWalDir()
    const wal = await Wal.open(vfs, dir)
    await appendEach(wal, 1, 4)
    await wal.close()
    const file = await vfs.open(join(dir, CLEAN_END_FILE))
    await file.write(new Uint8Array(20).fill(0xab), 16) // a torn rewrite
    await file.close()
    const reopened = await Wal.open(vfs, dir)
    expect(reopened.openReport.lastLsn).toBe(4)
    await appendEach(reopened, 5, 6)
    await reopened.close()
    const again = await Wal.open(vfs, dir)
    expect((await collect(again.read())).map((r) => r.lsn)).toEqual([1, 2, 3, 4, 5, 6])
    await again.close()
  })

  it('is best effort: a failed write of it fails nothing, and the next open scans', async () => {
    const seed = 5
    const vfs = new SimVfs({ seed })
    const dir = '/db/wal'
    const wal = await Wal.open(vfs, dir)
    await appendEach(wal, 1, 4)
    vfs.injectFault({ operation: 'write', path: join(dir, CLEAN_END_FILE), error: 'EIO' })
    await wal.close() // resolves: the records are durable whether or not the record is written
    expect(await vfs.exists(join(dir, CLEAN_END_FILE))).toBe(true) // opened, not written
    const file = await vfs.open(join(dir, CLEAN_END_FILE))
    expect(await file.size(), `seed ${seed}`).toBe(0)
    await file.close()
    const reopened = await Wal.open(vfs, dir)
    expect(reopened.openReport.lastLsn).toBe(4)
    expect((await collect(reopened.read())).map((r) => r.lsn)).toEqual([1, 2, 3, 4])
    await reopened.close()
  })
})
