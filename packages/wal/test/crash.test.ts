import { ObservedVfs, SimCrashError, SimVfs, type CrashMode } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { Wal, type CommitWrites, type WalOptions } from '../src/index.js'
import { seededClock } from './support/clocks.js'
import { collect, sameBytes, seededRandom } from './support/fixtures.js'

const DIR = '/db/wal'
const MODES: readonly CrashMode[] = ['drop', 'tear', 'reorder']

/**
 * A seeded workload of two sessions of concurrent appends (with a dropBefore between them), run on
 * a SimVfs that may be set to crash at some operation. It records what every LSN was given and
 * which appends were acknowledged.
 */
class Workload {
  /** The payload of every record an append was accepted for (its LSN assigned), acknowledged or not. */
  readonly appended = new Map<number, Uint8Array>()
  maxAcknowledged = 0
  /** The lsn given to dropBefore once it started; records before it may be gone. */
  droppedBefore = 1
  /** Commit groups written with `writeSync` (on the calling thread), and with `write`. */
  blockingWrites = 0
  asyncWrites = 0
  private wal: Wal | undefined
  private readonly observed: ObservedVfs
  private readonly options: WalOptions

  constructor(
    private readonly vfs: SimVfs,
    private readonly seed: number,
    options: { readonly segmentSize: number; readonly commitWrites: CommitWrites },
  ) {
    // A clock of its own, read in the same order in every run of this seed: 'auto' chooses alike in
    // the run that counts operations and in each run that crashes at one, on any machine.
    this.options = { ...options, clock: seededClock(seed) }
    this.observed = new ObservedVfs(vfs, (event) => {
      if (event.op !== 'write' || !event.dsync) return
      if (event.blocking) this.blockingWrites++
      else this.asyncWrites++
    })
  }

  /** Runs to completion or to the crash point; true when it crashed. */
  async run(): Promise<boolean> {
    const random = seededRandom(this.seed)
    try {
      await this.session(random, 8, true)
      await this.session(random, 6, false)
      return false
    } catch (error) {
      if (!SimCrashError.isInstance(error)) throw error
      // Let the crashed instance's background work fail against the halted disk before power returns.
      await this.wal?.close().catch(() => undefined)
      return true
    }
  }

  private async session(random: () => number, bursts: number, drop: boolean): Promise<void> {
    const wal = await Wal.open(this.observed, DIR, this.options)
    this.wal = wal
    // The first session prepares its first segment ahead, as the engine does; the second leaves it
    // to its first append. The preparation races the appends and may be stopped by close.
    if (drop) void wal.prepareForAppends()
    for (let burst = 0; burst < bursts; burst++) {
      const appends: Promise<unknown>[] = []
      // A third of the bursts are one lone append: the groups 'auto' writes inline.
      const count = random() < 1 / 3 ? 1 : 2 + Math.floor(random() * 5)
      for (let i = 0; i < count; i++) {
        const size = random() < 0.1 ? 1500 : Math.floor(random() * 300)
        const payload = new Uint8Array(size).map(() => Math.floor(random() * 256))
        const lsn = wal.nextLsn
        const append = wal.append(payload)
        if (wal.nextLsn === lsn + 1) this.appended.set(lsn, payload)
        appends.push(append.then((acknowledged) => (this.maxAcknowledged = Math.max(this.maxAcknowledged, acknowledged))))
      }
      const results = await Promise.allSettled(appends)
      // Let the event loop turn between bursts, as a writer served by I/O does ('auto' writes inline
      // only for a bounded time without a turn; SimVfs I/O is all microtasks).
      await new Promise((resolve) => setImmediate(resolve))
      const failure = results.find((result) => result.status === 'rejected')
      if (failure !== undefined) throw failure.reason
      if (drop && burst === 3) {
        this.droppedBefore = this.maxAcknowledged - 2
        await wal.dropBefore(this.droppedBefore)
      }
    }
    await wal.close()
  }
}

/**
 * Reopens after the crash and checks invariant 4: the log holds exactly a prefix of what was
 * appended, including every acknowledged record; then that appending continues it exactly.
 * Problems are collected, not asserted one by one: this runs hundreds of times per seed.
 */
async function verify(vfs: SimVfs, workload: Workload, context: string, options: WalOptions): Promise<void> {
  const problems: string[] = []
  const wal = await Wal.open(vfs, DIR, options)
  const from = workload.droppedBefore
  const records = await collect(wal.read(from))
  const last = from + records.length - 1
  if (last < workload.maxAcknowledged) problems.push(`log ends at lsn ${last}, but lsn ${workload.maxAcknowledged} was acknowledged`)
  records.forEach((record, index) => {
    if (record.lsn !== from + index) problems.push(`record ${index} has lsn ${record.lsn}, expected ${from + index}`)
    if (!sameBytes(record.payload, workload.appended.get(record.lsn))) problems.push(`lsn ${record.lsn} holds bytes never appended as it`)
  })
  if (wal.nextLsn !== last + 1) problems.push(`nextLsn ${wal.nextLsn} after a log ending at ${last}`)
  const more = [new Uint8Array([1]), new Uint8Array(700).fill(2), new Uint8Array([3])]
  const lsns = await Promise.all(more.map((payload) => wal.append(payload)))
  await wal.close()
  const reopened = await Wal.open(vfs, DIR, options)
  const after = await collect(reopened.read(from))
  await reopened.close()
  const expected = records.map((record) => record.lsn).concat(lsns)
  if (after.map((record) => record.lsn).join() !== expected.join()) problems.push(`after appending ${lsns.join()}, the log holds ${after.map((r) => r.lsn).join()}`)
  after.slice(records.length).forEach((record, index) => {
    if (!sameBytes(record.payload, more[index])) problems.push(`appended lsn ${record.lsn} reads back different bytes`)
  })
  expect(problems, context).toEqual([])
}

/**
 * 1 KiB segments make most groups start a segment (rollovers at every point); 4 KiB ones leave most
 * groups to the open segment, where 'auto' and 'inline' write them with `writeSync`. Each commit
 * write path crashes at every point.
 */
const RUNS: readonly { readonly seed: number; readonly segmentSize: number; readonly commitWrites: CommitWrites }[] = [
  { seed: 11, segmentSize: 1024, commitWrites: 'auto' },
  { seed: 12, segmentSize: 1024, commitWrites: 'auto' },
  { seed: 13, segmentSize: 4096, commitWrites: 'auto' },
  { seed: 14, segmentSize: 4096, commitWrites: 'inline' },
  { seed: 15, segmentSize: 4096, commitWrites: 'thread-pool' },
]

describe('crash at every operation', () => {
  for (const { seed, segmentSize, commitWrites } of RUNS) {
    const options = { segmentSize, commitWrites }
    it(`keeps exactly a prefix holding every acknowledged record (seed ${seed}, ${segmentSize}-byte segments, commitWrites '${commitWrites}')`, async () => {
      console.log('seed', seed, 'segmentSize', segmentSize, 'commitWrites', commitWrites)
      const dry = new SimVfs({ seed })
      const total = new Workload(dry, seed, options)
      expect(await total.run()).toBe(false)
      const workloadOperations = dry.operationCount
      await verify(dry, total, `seed ${seed}, no crash`, options)
      console.log(`commit groups: ${total.blockingWrites} written inline, ${total.asyncWrites} on the thread pool`)
      // The crash runs below replay this one up to their crash point: same operations, same choices.
      const again = new SimVfs({ seed })
      const replay = new Workload(again, seed, options)
      expect(await replay.run()).toBe(false)
      expect([again.operationCount, replay.blockingWrites, replay.asyncWrites]).toEqual([workloadOperations, total.blockingWrites, total.asyncWrites])
      // The workload exercises the write path it names ('auto' both: lone appends inline, bursts not).
      if (segmentSize > 1024 && commitWrites !== 'thread-pool') expect(total.blockingWrites).toBeGreaterThan(0)
      if (commitWrites === 'thread-pool') expect(total.blockingWrites).toBe(0)
      const operations = dry.operationCount
      expect(operations).toBeGreaterThan(50)
      let crashed = 0
      for (let n = 1; n <= operations; n++) {
        for (const mode of MODES) {
          const vfs = new SimVfs({ seed: seed * 1000 + n })
          vfs.crashAtOperation(n)
          const workload = new Workload(vfs, seed, options)
          if (await workload.run()) crashed++
          vfs.crash({ mode })
          await verify(vfs, workload, `seed ${seed}, crash at operation ${n}, mode ${mode}`, options)
        }
      }
      expect(crashed).toBeGreaterThan(operations * 2)
    })
  }
})
