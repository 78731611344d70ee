import { describe, expect, it } from 'vitest'
import { Prng, SimVfs } from '@tinydb/vfs'
import { open, TinyDbError, type BatchOperation, type Db } from '../src/index.js'

/**
 * Seeded crash-and-recover rounds on SimVfs. Each writer works sequentially on its own keys, so after
 * a crash its keys must show exactly the state after its acknowledged operations, or that state plus
 * its one operation in flight (whole, never in part): durability, atomicity and prefix recovery.
 */
type Model = Map<string, string>
type Op = { kind: 'put'; key: string; value: string } | { kind: 'del'; key: string } | { kind: 'batch'; ops: BatchOperation[] }

const MODES = ['drop', 'tear', 'reorder'] as const
const decoder = new TextDecoder()

function applyOp(model: Model, op: Op): void {
  if (op.kind === 'put') model.set(op.key, op.value)
  else if (op.kind === 'del') model.delete(op.key)
  else for (const item of op.ops) item.type === 'put' ? model.set(String(item.key), String(item.value)) : model.delete(String(item.key))
}

function randomOp(prng: Prng, writer: number, step: number): Op {
  const key = () => `w${writer}:k${prng.int(12)}`
  const value = () => `${step}:${'v'.repeat(prng.int(4) === 0 ? 700 + prng.int(3000) : prng.int(60))}`
  const roll = prng.int(10)
  if (roll < 6) return { kind: 'put', key: key(), value: value() }
  if (roll < 8) return { kind: 'del', key: key() }
  const ops: BatchOperation[] = Array.from({ length: 1 + prng.int(5) }, () =>
    prng.int(3) === 0 ? { type: 'del', key: key() } : { type: 'put', key: key(), value: value() },
  )
  return { kind: 'batch', ops }
}

function run(db: Db, op: Op): Promise<void> {
  if (op.kind === 'put') return db.put(op.key, op.value)
  if (op.kind === 'del') return db.del(op.key)
  return db.batch(op.ops)
}

async function snapshotOf(db: Db, writer: number): Promise<Model> {
  const state: Model = new Map()
  for await (const [key, value] of db.scan({ gte: `w${writer}:`, lt: `w${writer};` })) state.set(decoder.decode(key), decoder.decode(value))
  return state
}

const sameState = (a: Model, b: Model) => a.size === b.size && [...a].every(([key, value]) => b.get(key) === value)

interface WriterState {
  acknowledged: Model
  inFlight: Op | undefined
}

async function crashRound(vfs: SimVfs, prng: Prng, writers: WriterState[], crashAfter: number): Promise<void> {
  const db = await open('/db', { vfs, pageSize: 512, checkpointThreshold: 8 * 1024, walSegmentSize: 32 * 1024 })
  vfs.crashAtOperation(crashAfter)
  let crashed = false
  const work = writers.map(async (writer, index) => {
    for (let step = 0; !crashed && step < 40; step++) {
      const op = randomOp(prng, index, step)
      writer.inFlight = op
      try {
        await run(db, op)
      } catch {
        crashed = true
        return
      }
      applyOp(writer.acknowledged, op)
      writer.inFlight = undefined
      if (prng.int(25) === 0) await db.checkpoint().catch(() => (crashed = true))
    }
  })
  await Promise.all(work)
  // The crash point may not have been reached; then the round ends with a crash anyway (no close).
}

describe('crash recovery on SimVfs', () => {
  const seeds = Array.from({ length: 24 }, (_, i) => 1000 + i)
  for (const seed of seeds) {
    it(`recovers every acknowledged write, atomically, in prefix order (seed ${seed})`, async () => {
      console.log('crash-recovery seed', seed)
      const prng = new Prng(seed)
      let vfs = new SimVfs({ seed })
      const writers: WriterState[] = Array.from({ length: 4 }, () => ({ acknowledged: new Map(), inFlight: undefined }))
      for (let round = 0; round < 3; round++) {
        await crashRound(vfs, prng, writers, 20 + prng.int(400))
        vfs.crash({ mode: MODES[(seed + round) % MODES.length]! })
        // Recover on a copy of the disk, out of reach of anything the crashed store left running.
        vfs = vfs.clone()
        const db = await open('/db', { vfs, pageSize: 512 })
        for (const [index, writer] of writers.entries()) {
          const recovered = await snapshotOf(db, index)
          const withInFlight = new Map(writer.acknowledged)
          if (writer.inFlight !== undefined) applyOp(withInFlight, writer.inFlight)
          const matches = sameState(recovered, writer.acknowledged) || sameState(recovered, withInFlight)
          if (!matches) {
            console.log({ seed, round, writer: index, recovered, acknowledged: writer.acknowledged, inFlight: writer.inFlight })
          }
          expect(matches).toBe(true)
          writer.acknowledged = recovered
          writer.inFlight = undefined
        }
        const report = await db.check()
        expect(report.problems).toEqual([])
        await db.close()
      }
    })
  }

  it('replays writes that were never checkpointed after a crash without close', async () => {
    const vfs = new SimVfs({ seed: 7 })
    const db = await open('/db', { vfs })
    await db.put('x', '1')
    await db.batch([
      { type: 'put', key: 'y', value: '2' },
      { type: 'del', key: 'x' },
    ])
    vfs.crash()
    const reopened = await open('/db', { vfs })
    expect(reopened.recovery.recordsReplayed).toBe(2)
    expect(reopened.recovery.checkpointLsn).toBe(0)
    expect(await reopened.get('x')).toBeUndefined()
    expect(decoder.decode(await reopened.get('y'))).toBe('2')
    await reopened.close()
  })

  it('poisons writes after a failed fdatasync and recovers every acknowledged write on reopen', async () => {
    const vfs = new SimVfs({ seed: 11 })
    const db = await open('/db', { vfs })
    await db.put('before', 'ok')
    vfs.injectFault({ operation: 'sync', path: /wal/, error: 'EIO' })
    const failed = await db.put('during', 'x').then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(TinyDbError.isInstance(failed) && failed.code).toBe('IO')
    const after = await db.put('after', 'x').then(
      () => undefined,
      (error: unknown) => error,
    )
    expect(TinyDbError.isInstance(after) && after.code).toBe('POISONED')
    expect(decoder.decode(await db.get('before'))).toBe('ok')
    expect(await db.get('during')).toBeUndefined()
    vfs.crash()
    const reopened = await open('/db', { vfs })
    expect(decoder.decode(await reopened.get('before'))).toBe('ok')
    expect(await reopened.get('after')).toBeUndefined()
    await reopened.close()
  })
})
