import { describe, expect, it } from 'vitest'
import { SimCrashError, SimVfs, TinyDbError, type CrashMode, type DurableStep, type FaultOperation, type VfsFile } from '../src/index.js'
import { bytes, caught, slurp } from './helpers.js'

const SEEDS = Array.from({ length: 8 }, (_, i) => i + 1)
const MODES: readonly CrashMode[] = ['drop', 'tear', 'reorder']

const fill = (length: number, value: number): Uint8Array => new Uint8Array(length).fill(value)

/** A checkpoint in miniature: pages (one gathered), grow, sync; then the meta page, sync. */
const CHECKPOINT: readonly DurableStep[] = [
  {
    writes: [
      { position: 512, buffers: [fill(700, 2)] },
      { position: 1536, buffers: [fill(300, 3), fill(900, 4)] },
    ],
    minimumSize: 4096,
  },
  { writes: [{ position: 0, buffers: [fill(100, 5)] }] },
]

/** The same operations as separate calls, as InlineDurableQueue makes them. */
async function separately(file: VfsFile): Promise<void> {
  await file.write(fill(700, 2), 512)
  await file.writev([fill(300, 3), fill(900, 4)], 1536)
  if ((await file.size()) < 4096) await file.truncate(4096)
  await file.sync()
  await file.write(fill(100, 5), 0)
  await file.sync()
}

const queued = async (file: VfsFile): Promise<void> => {
  expect(await file.queueDurable(CHECKPOINT).done).toBe('durable')
}

/** A SimVfs whose /db/f holds 1024 durable bytes of 1s, plus an unsynced write before the workload. */
async function machine(seed: number): Promise<{ vfs: SimVfs; file: VfsFile }> {
  const vfs = new SimVfs({ seed })
  await vfs.mkdir('/db')
  await vfs.syncDir('/')
  const file = await vfs.open('/db/f', { create: true })
  await file.write(fill(1024, 1), 0)
  await file.sync()
  await vfs.syncDir('/db')
  await file.write(fill(200, 9), 900)
  return { vfs, file }
}

/** The platter after `workload` is cut by a crash at its `n`-th operation (0: not at all), in `mode`. */
async function survivor(seed: number, mode: CrashMode, n: number, workload: (file: VfsFile) => Promise<void>): Promise<Uint8Array> {
  const { vfs, file } = await machine(seed)
  if (n > 0) vfs.crashAtOperation(n)
  const error = await workload(file).then(
    () => undefined,
    (thrown: unknown) => thrown,
  )
  if (n > 0) expect([SimCrashError.isInstance(error), vfs.halted]).toEqual([true, true])
  vfs.crash({ mode })
  return vfs.readDurable('/db/f')
}

describe('SimVfs queueDurable', () => {
  it('makes the same operations as the separate calls', async () => {
    const counts: number[] = []
    for (const workload of [separately, queued]) {
      const { vfs, file } = await machine(1)
      const before = vfs.operationCount
      await workload(file)
      counts.push(vfs.operationCount - before)
    }
    expect(counts).toEqual([6, 6]) // write, writev, truncate, sync, write, sync
  })

  it('leaves, after a crash at any of its operations in every mode, what the separate calls leave', async () => {
    console.log('seeds', SEEDS[0], '..', SEEDS.at(-1))
    for (const mode of MODES) {
      for (const seed of SEEDS) {
        for (let n = 0; n <= 6; n++) {
          const image = await survivor(seed, mode, n, queued)
          expect(Buffer.compare(image, await survivor(seed, mode, n, separately)), `${mode}, seed ${seed}, crash at ${n}`).toBe(0)
        }
      }
    }
  })

  it('keeps a synced step through a crash in the next one; the next one’s unsynced write is lost', async () => {
    // Operation 6 is the second step's sync: the crash comes after its write, before it is durable.
    const image = await survivor(1, 'drop', 6, queued)
    const expected = fill(4096, 0)
    expected.set(fill(1024, 1), 0)
    expected.set(fill(200, 9), 900) // the write before the sequence, synced by its first step
    expected.set(fill(700, 2), 512)
    expected.set(fill(300, 3), 1536)
    expected.set(fill(900, 4), 1836)
    expect(Buffer.compare(image, expected)).toBe(0)
  })

  for (const [operation, failedCall] of [
    ['sync', 'fdatasync'],
    ['write', 'write'],
    ['truncate', 'truncate'],
  ] as const satisfies ReadonlyArray<readonly [FaultOperation, string]>) {
    it(`an injected ${operation} fault rejects its sequence with IO, and the next ones POISONED without I/O`, async () => {
      const { vfs, file } = await machine(1)
      vfs.injectFault({ operation, path: '/db/f', error: 'EIO' })
      const failing = file.queueDurable(CHECKPOINT)
      const next = file.queueDurable([{ writes: [{ position: 0, buffers: [bytes('next')] }] }])
      const failure = await caught(() => failing.done)
      expect(TinyDbError.isInstance(failure) && [failure.code, failure.message]).toEqual(['IO', `${failedCall} failed on /db/f: EIO`])
      const operations = vfs.operationCount
      const poisoned = await caught(() => next.done)
      expect(TinyDbError.isInstance(poisoned) && [poisoned.code, poisoned.cause]).toEqual(['POISONED', failure])
      const later = await caught(() => file.queueDurable([{ writes: [{ position: 0, buffers: [bytes('later')] }] }]).done)
      expect(TinyDbError.isInstance(later) && later.code).toBe('POISONED')
      expect(vfs.operationCount).toBe(operations)
      expect((await slurp(vfs, '/db/f')).startsWith('next')).toBe(false)
    })
  }

  it('loses for good the writes a failed fdatasync in a sequence did not flush, as a failed sync call does', async () => {
    const images: Uint8Array[] = []
    for (const workload of [separately, queued]) {
      const { vfs, file } = await machine(1)
      vfs.injectFault({ operation: 'sync', path: '/db/f', error: 'EIO', afterMatches: 1 }) // the second step's
      await workload(file).catch(() => undefined)
      vfs.crash()
      images.push(vfs.readDurable('/db/f'))
    }
    expect(Buffer.compare(images[0]!, images[1]!)).toBe(0)
    expect(images[1]![0]).toBe(1) // the meta page's write is gone
  })
})
