import { SimVfs, TinyDbError } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { Wal } from '../src/index.js'
import { segmentPath } from '../src/segment-directory.js'
import { collect, payloadFor } from './support/fixtures.js'

const DIR = '/db/wal'
const SEGMENT_1 = segmentPath(DIR, 1)
const SEGMENT_2 = segmentPath(DIR, 2)

function reason(result: PromiseSettledResult<unknown>): unknown {
  return result.status === 'rejected' ? result.reason : undefined
}

describe('a failed fdatasync poisons the log (invariant 7)', () => {
  it('rejects the group with the IO error, every later append with POISONED, and keeps reads working', async () => {
    const vfs = new SimVfs({ seed: 5 })
    const wal = await Wal.open(vfs, DIR)
    expect(await wal.append(payloadFor(1, 50))).toBe(1)
    vfs.injectFault({ operation: 'sync', path: SEGMENT_1, error: 'EIO' })
    const results = await Promise.allSettled([2, 3, 4].map((lsn) => wal.append(payloadFor(lsn, 50))))
    for (const result of results) expect(reason(result)).toMatchObject({ code: 'IO', file: SEGMENT_1 })
    expect(wal.poisoned).toBe(true)
    expect(wal.lastDurableLsn).toBe(1)
    // Only the group that became durable counts: the failed one wrote nothing anyone may rely on.
    expect(wal.groupStats).toMatchObject({ groups: 1, records: 1 })
    // Never retried: the fault was one-shot, a retry would succeed — and report pages the kernel dropped.
    const later = await wal.append(payloadFor(5, 50)).catch((error: unknown) => error)
    expect(TinyDbError.isInstance(later) && later.code).toBe('POISONED')
    expect((await collect(wal.read())).map((record) => record.lsn)).toEqual([1])
    await wal.close()

    vfs.crash({ mode: 'drop' })
    const reopened = await Wal.open(vfs, DIR)
    expect(reopened.poisoned).toBe(false)
    expect(reopened.openReport.lastLsn).toBe(1)
    expect(await reopened.append(payloadFor(2, 50))).toBe(2)
    await reopened.close()
  })

  it('rejects the appends gathered behind a failing group with POISONED', async () => {
    const vfs = new SimVfs({ seed: 6 })
    const wal = await Wal.open(vfs, DIR)
    await wal.append(payloadFor(1, 50))
    vfs.injectFault({ operation: 'sync', path: SEGMENT_1, error: 'EIO' })
    const failing = wal.append(payloadFor(2, 50))
    await Promise.resolve() // the group holding lsn 2 is now being written
    await Promise.resolve()
    const gathered = wal.append(payloadFor(3, 50))
    const [first, second] = await Promise.allSettled([failing, gathered])
    expect(reason(first as PromiseSettledResult<unknown>)).toMatchObject({ code: 'IO' })
    expect(reason(second as PromiseSettledResult<unknown>)).toMatchObject({ code: 'POISONED' })
    await wal.close()
  })

  it('poisons on a failed write (ENOSPC) too', async () => {
    const vfs = new SimVfs({ seed: 7 })
    const wal = await Wal.open(vfs, DIR)
    await wal.append(payloadFor(1, 50))
    vfs.injectFault({ operation: 'write', path: SEGMENT_1, error: 'ENOSPC' })
    await expect(wal.append(payloadFor(2, 50))).rejects.toMatchObject({ code: 'IO' })
    await expect(wal.append(payloadFor(3, 50))).rejects.toMatchObject({ code: 'POISONED' })
    await wal.close()
    const reopened = await Wal.open(vfs, DIR)
    expect(reopened.openReport.lastLsn).toBe(1)
    await reopened.close()
  })
})

describe('failures while preparing a segment', () => {
  it('retries a spare whose background preparation failed when the rollover needs it', async () => {
    const vfs = new SimVfs({ seed: 8 })
    const wal = await Wal.open(vfs, DIR, { segmentSize: 1024 })
    // The first segment is prepared in the foreground; the spare behind it (seq 2) in the background.
    vfs.injectFault({ operation: 'write', path: SEGMENT_2, error: 'ENOSPC' })
    for (let lsn = 1; lsn <= 20; lsn++) expect(await wal.append(payloadFor(lsn, 100))).toBe(lsn)
    expect(wal.poisoned).toBe(false)
    await wal.close()
    const reopened = await Wal.open(vfs, DIR, { segmentSize: 1024 })
    expect(reopened.openReport.lastLsn).toBe(20)
    expect((await collect(reopened.read())).length).toBe(20)
    await reopened.close()
  })

  it('rejects the group that needs a segment that cannot be prepared with IO, losing nothing acknowledged', async () => {
    const vfs = new SimVfs({ seed: 9 })
    const wal = await Wal.open(vfs, DIR, { segmentSize: 1024 })
    vfs.injectFault({ operation: 'write', path: SEGMENT_2, error: 'ENOSPC', times: Infinity })
    let acknowledged = 0
    let failure: unknown
    for (let lsn = 1; lsn <= 20 && failure === undefined; lsn++) {
      await wal.append(payloadFor(lsn, 100)).then(
        (done) => (acknowledged = done),
        (error: unknown) => (failure = error),
      )
    }
    expect(failure).toMatchObject({ code: 'IO' })
    expect(acknowledged).toBe(8) // the first segment holds 8 frames of 120 bytes
    expect(wal.poisoned).toBe(true)
    await wal.close()
    vfs.clearFaults()
    vfs.crash({ mode: 'drop' })
    const reopened = await Wal.open(vfs, DIR, { segmentSize: 1024 })
    expect(reopened.openReport.lastLsn).toBe(8)
    expect((await collect(reopened.read())).map((record) => record.lsn)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    expect(await reopened.append(payloadFor(9, 100))).toBe(9)
    await reopened.close()
  })

  it('poisons when the new segment header cannot be synced', async () => {
    const vfs = new SimVfs({ seed: 10 })
    const wal = await Wal.open(vfs, DIR)
    // Sync 1 of the file completes its preallocation; sync 2 is its header's.
    vfs.injectFault({ operation: 'sync', path: SEGMENT_1, error: 'EIO', afterMatches: 1 })
    await expect(wal.append(payloadFor(1, 10))).rejects.toMatchObject({ code: 'IO' })
    expect(wal.poisoned).toBe(true)
    await wal.close()
    vfs.crash({ mode: 'drop' })
    const reopened = await Wal.open(vfs, DIR)
    expect(reopened.openReport).toMatchObject({ segments: 0, lastLsn: 0 })
    expect(await reopened.append(payloadFor(1, 10))).toBe(1)
    await reopened.close()
  })
})
