import { ObservedVfs, SimVfs, TinyDbError, type VfsEvent } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { BUSY_LOOP_ITERATION_MS, INLINE_STRETCH_MS, Wal, type CommitWrites } from '../src/index.js'
import { segmentPath } from '../src/segment-directory.js'
import { FIRST_SEGMENT_SIZE } from '../src/segment-sizes.js'
import { ManualClock } from './support/clocks.js'
import { collect, payloadFor } from './support/fixtures.js'

const DIR = '/db/wal'
const SEGMENT_1 = segmentPath(DIR, 1)

/** A SimVfs seen through an ObservedVfs that keeps the log's commit writes (dsync writes after a segment header). */
function observedDisk(seed: number, onWrite?: (event: VfsEvent & { op: 'write' }) => void) {
  const sim = new SimVfs({ seed })
  const writes: { readonly position: number; readonly length: number; readonly blocking: boolean }[] = []
  const vfs = new ObservedVfs(sim, (event) => {
    if (event.op !== 'write' || !event.dsync || event.position === 0) return
    writes.push({ position: event.position, length: event.length, blocking: event.blocking })
    onWrite?.(event)
  })
  return { sim, vfs, writes }
}

/** One awaited append after another, letting the event loop turn between them (as a writer served by I/O does). */
async function lone(wal: Wal, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await wal.append(payloadFor(wal.nextLsn, 100))
    await new Promise((resolve) => setImmediate(resolve))
  }
}

describe('commit writes: where each group is written', () => {
  const cases: readonly [CommitWrites, boolean, boolean][] = [
    // mode, lone groups inline, concurrent groups inline
    ['auto', true, true],
    ['inline', true, true],
    ['thread-pool', false, false],
  ]
  for (const [mode, loneInline, concurrentInline] of cases) {
    it(`'${mode}': lone groups ${loneInline ? 'inline' : 'on the thread pool'}, concurrent ones ${concurrentInline ? 'inline' : 'on the thread pool'}`, async () => {
      const { vfs, writes } = observedDisk(31)
      // Time stands still: however slowly this machine runs the test, 'auto' sees instant writes and idle turns.
      const wal = await Wal.open(vfs, DIR, { commitWrites: mode, clock: new ManualClock().read })
      await lone(wal, 5)
      // The first group starts the segment: that path is asynchronous in every mode.
      expect(writes.map((write) => write.blocking)).toEqual([false, loneInline, loneInline, loneInline, loneInline])
      writes.length = 0
      await Promise.all([1, 2, 3].map(() => wal.append(payloadFor(wal.nextLsn, 100))))
      expect(writes).toEqual([{ position: expect.any(Number) as number, length: expect.any(Number) as number, blocking: concurrentInline }])
      expect(wal.commitWriteState.small).toBe(loneInline ? 'inline' : 'thread-pool')
      await wal.close()
      const reopened = await Wal.open(vfs, DIR)
      expect((await collect(reopened.read())).map((record) => record.lsn)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
      await reopened.close()
    })
  }

  it("'auto' moves a lone writer to the thread pool when inline writes take over 1 ms", async () => {
    // Every blocking write takes 2 ms of the log's clock inside writeSync.
    const clock = new ManualClock()
    const { vfs, writes } = observedDisk(32, (event) => {
      if (event.blocking) clock.advance(2)
    })
    const wal = await Wal.open(vfs, DIR, { clock: clock.read })
    await lone(wal, 1 + 8) // the segment's first group, then the 8 samples the policy judges on
    expect(writes.map((write) => write.blocking)).toEqual([false, ...Array<boolean>(8).fill(true)])
    expect(wal.commitWriteState.small).toBe('thread-pool')
    expect(wal.commitWriteState.averageMs).toBe(2)
    writes.length = 0
    await lone(wal, 3)
    expect(writes.map((write) => write.blocking)).toEqual([false, false, false])
    await wal.close()
  })

  it("'auto' lets the event loop turn between a lone writer's inline commits, and leaves the thread to others who need it", async () => {
    const clock = new ManualClock()
    const { vfs, writes } = observedDisk(40)
    const wal = await Wal.open(vfs, DIR, { clock: clock.read })
    await lone(wal, 1) // starts the segment
    writes.length = 0
    // Other work of the process: a callback that keeps the thread far longer than a busy iteration.
    let othersRan = 0
    let othersRunning = true
    const others = (): void => {
      clock.advance(10 * BUSY_LOOP_ITERATION_MS)
      othersRan++
      if (othersRunning) setImmediate(others)
    }
    await wal.append(payloadFor(wal.nextLsn, 100)) // inline: nothing else was waiting yet
    setImmediate(others)
    // Awaited back to back, with no turn of their own: once INLINE_STRETCH_MS has passed since the
    // loop last turned, the log lets it turn before the next inline commit, finds the others'
    // iteration busy, and writes on the thread pool from then on.
    clock.advance(INLINE_STRETCH_MS)
    for (let i = 0; i < 2; i++) await wal.append(payloadFor(wal.nextLsn, 100))
    othersRunning = false
    expect(othersRan).toBeGreaterThan(0)
    expect(writes.map((write) => write.blocking)).toEqual([true, false, false])
    expect(wal.commitWriteState.small).toBe('inline') // the disk itself is still judged fast
    await wal.close()
  })

  it('groupStats counts the groups written, their records and bytes, the time their writes took, and the inline ones', async () => {
    // Each commit write takes 2 ms of the log's clock; nothing else moves it.
    const clock = new ManualClock()
    const { vfs, writes } = observedDisk(33, () => clock.advance(2))
    const wal = await Wal.open(vfs, DIR, { clock: clock.read })
    expect(wal.groupStats).toEqual({ groups: 0, records: 0, bytes: 0, writeMs: 0, inline: 0 })
    await lone(wal, 3) // the segment's first group (asynchronous), then two inline
    await Promise.all([1, 2, 3].map(() => wal.append(payloadFor(wal.nextLsn, 100)))) // one group of three
    expect(writes.map((write) => write.blocking)).toEqual([false, true, true, true])
    const bytes = writes.reduce((total, write) => total + write.length, 0)
    expect(wal.groupStats).toEqual({ groups: 4, records: 6, bytes, writeMs: 8, inline: 3 })
    await wal.close()
  })

  it('rejects invalid modes with INVALID_ARGUMENT', async () => {
    const error = await Wal.open(new SimVfs(), DIR, { commitWrites: 'sometimes' as CommitWrites }).catch((caught: unknown) => caught)
    expect(TinyDbError.isInstance(error) && error.code).toBe('INVALID_ARGUMENT')
  })

  it('rejects a clock it cannot read with INVALID_ARGUMENT at open, and creates nothing', async () => {
    const vfs = new SimVfs()
    const unbound: () => number = performance.now // called with no receiver, it throws
    for (const [clock, says] of [
      [unbound, 'bound function'],
      [() => Number.NaN, 'a reading of NaN'],
      [42 as unknown as () => number, 'got number'],
    ] as const) {
      const error = await Wal.open(vfs, DIR, { clock }).catch((caught: unknown) => caught)
      expect(TinyDbError.isInstance(error) && [error.code, error.message.includes(says)]).toEqual(['INVALID_ARGUMENT', true])
    }
    expect(await vfs.exists(DIR)).toBe(false)
    const wal = await Wal.open(vfs, DIR, { clock: performance.now.bind(performance) })
    expect(await wal.append(payloadFor(1, 10))).toBe(1)
    await wal.close()
  })
})

describe('commit writes: a failed inline write poisons the log (invariant 7)', () => {
  for (const [operation, error] of [
    ['write', 'ENOSPC'],
    ['sync', 'EIO'],
  ] as const) {
    it(`a failed ${operation} (${error}) of an inline group rejects it with IO, later appends with POISONED, and loses nothing acknowledged`, async () => {
      const { sim, vfs, writes } = observedDisk(operation === 'write' ? 33 : 34)
      const wal = await Wal.open(vfs, DIR, { commitWrites: 'inline' })
      await lone(wal, 3)
      sim.injectFault({ operation, path: SEGMENT_1, error })
      const failed = await wal.append(payloadFor(4, 100)).catch((caught: unknown) => caught)
      expect(writes.at(-1)?.blocking).toBe(true)
      expect(TinyDbError.isInstance(failed) && [failed.code, (failed.cause as { code?: string }).code]).toEqual(['IO', error])
      expect(wal.poisoned).toBe(true)
      expect(wal.lastDurableLsn).toBe(3)
      // Never retried, though the fault was one-shot and a retry would succeed.
      await expect(wal.append(payloadFor(5, 100))).rejects.toMatchObject({ code: 'POISONED' })
      expect((await collect(wal.read())).map((record) => record.lsn)).toEqual([1, 2, 3])
      await wal.close()
      sim.crash({ mode: 'drop' })
      const reopened = await Wal.open(sim, DIR)
      expect(reopened.openReport.lastLsn).toBe(3)
      expect(await reopened.append(payloadFor(4, 100))).toBe(4)
      await reopened.close()
    })
  }

  it('rejects the appends gathered while the failing group was written with POISONED', async () => {
    const { sim, vfs } = observedDisk(35)
    const wal = await Wal.open(vfs, DIR, { commitWrites: 'inline' })
    await lone(wal, 1)
    sim.injectFault({ operation: 'sync', path: SEGMENT_1, error: 'EIO' })
    // Appended in one tick: one group, written inline, failing as a whole.
    const results = await Promise.allSettled([2, 3].map((lsn) => wal.append(payloadFor(lsn, 100))))
    expect(results.map((result) => result.status === 'rejected' && (result.reason as TinyDbError).code)).toEqual(['IO', 'IO'])
    await expect(wal.append(payloadFor(4, 100))).rejects.toMatchObject({ code: 'POISONED' })
    await wal.close()
  })
})

describe('prepareForAppends', () => {
  it('makes the first append of an open find its segment file ready; open alone writes nothing', async () => {
    const sim = new SimVfs({ seed: 36 })
    const first = await Wal.open(sim, DIR, { segmentSize: 64 * 1024 })
    await lone(first, 2)
    await first.close()
    const before = sim.operationCount
    const wal = await Wal.open(sim, DIR, { segmentSize: 64 * 1024 })
    expect(sim.operationCount).toBe(before)
    await wal.prepareForAppends()
    expect(sim.fileSize(segmentPath(DIR, 2))).toBe(64 * 1024)
    // The first append only writes the prepared file's header and its group: no create, no zeros, no directory sync.
    const operations = sim.operationCount
    await lone(wal, 1)
    expect(sim.operationCount - operations).toBe(4) // header write + its sync, group write + its sync
    await wal.close()
  })

  it('a close stops a preparation still running; the next preparation finishes the file', async () => {
    const sim = new SimVfs({ seed: 37 })
    const segmentSize = 8 * 1024 * 1024
    const wal = await Wal.open(sim, DIR, { segmentSize })
    void wal.prepareForAppends()
    await wal.close()
    const partial = sim.fileSize(segmentPath(DIR, 1))
    expect(partial).toBeLessThan(FIRST_SEGMENT_SIZE)
    const reopened = await Wal.open(sim, DIR, { segmentSize })
    await reopened.prepareForAppends()
    // The first segment of an open is preallocated to FIRST_SEGMENT_SIZE, not the whole segment size.
    expect(sim.fileSize(segmentPath(DIR, 1))).toBe(FIRST_SEGMENT_SIZE)
    expect(await reopened.append(payloadFor(1, 10))).toBe(1)
    await reopened.close()
  })

  it('does nothing once a segment is being written, or on a closed log', async () => {
    const sim = new SimVfs({ seed: 38 })
    const segments = async (): Promise<string[]> => (await sim.readdir(DIR)).filter((name) => name.endsWith('.wal'))
    const wal = await Wal.open(sim, DIR, { segmentSize: 4096 })
    await lone(wal, 1)
    expect(await segments()).toEqual(['0000000000000001.wal'])
    await wal.prepareForAppends()
    expect(await segments()).toEqual(['0000000000000001.wal'])
    await wal.close()
    await wal.prepareForAppends()
    expect(await segments()).toEqual(['0000000000000001.wal'])
  })
})
