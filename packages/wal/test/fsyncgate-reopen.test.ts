import { SimVfs } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { Wal } from '../src/index.js'
import { segmentPath } from '../src/segment-directory.js'
import { collect, payloadFor } from './support/fixtures.js'

const DIR = '/db/wal'

/**
 * fsyncgate across a reopen without a power cut: the group whose fdatasync failed stays readable
 * (the OS shows it) but is never written (SimVfs models Linux marking the pages clean). A reopen
 * finds it as the end of the log; whatever is built on that end — a new segment, a clean-end
 * record — must not outlive it, or a later power cut leaves a hole before the new records and the
 * log cannot be opened at all. Found by packages/engine/test/crash/failing-disk.test.ts.
 */
async function failedGroupThenReopen(): Promise<{ vfs: SimVfs; reopened: Wal }> {
  const vfs = new SimVfs({ seed: 13 })
  const wal = await Wal.open(vfs, DIR, { segmentSize: 4096 })
  for (let lsn = 1; lsn <= 3; lsn++) await wal.append(payloadFor(lsn, 40))
  vfs.injectFault({ operation: 'sync', path: segmentPath(DIR, 1), error: 'EIO' })
  await expect(wal.append(payloadFor(4, 40))).rejects.toMatchObject({ code: 'IO' })
  await wal.close()
  const reopened = await Wal.open(vfs, DIR, { segmentSize: 4096 })
  expect(reopened.nextLsn).toBe(5) // lsn 4 is visible: the reopen builds on it
  return { vfs, reopened }
}

describe('a failed fdatasync, then a reopen without a power cut', () => {
  it('the first append of the reopened log makes the recovered end durable first', async () => {
    const { vfs, reopened } = await failedGroupThenReopen()
    expect(await reopened.append(payloadFor(5, 40))).toBe(5)
    vfs.crash({ mode: 'drop' })
    const afterPowerLoss = await Wal.open(vfs, DIR, { segmentSize: 4096 })
    expect((await collect(afterPowerLoss.read())).map((record) => record.lsn)).toEqual([1, 2, 3, 4, 5])
    await afterPowerLoss.close()
  })

  it('a clean close of the reopened log makes the recovered end durable before recording it', async () => {
    const { vfs, reopened } = await failedGroupThenReopen()
    await reopened.close() // writes the clean-end record, which the next open trusts without a scan
    const third = await Wal.open(vfs, DIR, { segmentSize: 4096 })
    expect(await third.append(payloadFor(5, 40))).toBe(5)
    vfs.crash({ mode: 'drop' })
    const afterPowerLoss = await Wal.open(vfs, DIR, { segmentSize: 4096 })
    expect((await collect(afterPowerLoss.read())).map((record) => record.lsn)).toEqual([1, 2, 3, 4, 5])
    await afterPowerLoss.close()
  })
})
