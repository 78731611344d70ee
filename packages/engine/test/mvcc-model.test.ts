import fc from 'fast-check'
import { SimVfs, TinyDbError } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { open, type Db, type ScanOptions, type Snapshot } from '../src/index.js'

/**
 * Model-based test of isolation: fast-check generates sequences of writes, batches, transactions
 * (some aborted), snapshots opened, read and closed, scans with writes landing mid-iteration,
 * checkpoints and reopens, and runs each against the store and a versioned model — the current
 * state plus a frozen copy per open snapshot. Every read must match the model's state for the
 * view it reads from.
 */
const SEED = Number(process.env['TINYDB_MVCC_SEED'] ?? 5150)
const RUNS = Number(process.env['TINYDB_MVCC_RUNS'] ?? 60)

type State = Map<string, string>

interface Model {
  current: State
  snapshots: State[]
}

interface Real {
  db: Db
  readonly vfs: SimVfs
  snapshots: Snapshot[]
}

const keyArb = fc.integer({ min: 0, max: 120 }).map((n) => `k${String(n).padStart(3, '0')}`)
// Mostly small values, sometimes one that needs an overflow chain at 512-byte pages.
const valueArb = fc.oneof(
  { weight: 9, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 1, arbitrary: fc.integer({ min: 300, max: 1500 }).map((length) => 'v'.repeat(length)) },
)
const writeArb = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: keyArb, value: valueArb }),
  fc.record({ type: fc.constant('del' as const), key: keyArb }),
)
const rangeArb: fc.Arbitrary<ScanOptions> = fc.record(
  { gte: keyArb, lt: keyArb, reverse: fc.boolean(), limit: fc.integer({ min: 0, max: 40 }) },
  { requiredKeys: [] },
)

const decode = (bytes: Uint8Array | undefined) => (bytes === undefined ? undefined : new TextDecoder().decode(bytes))

function applyWrite(state: State, write: { type: 'put'; key: string; value: string } | { type: 'del'; key: string }): void {
  if (write.type === 'put') state.set(write.key, write.value)
  else state.delete(write.key)
}

function expectedScan(state: State, options: ScanOptions): string[] {
  let keys = [...state.keys()].sort()
  if (options.gte !== undefined) keys = keys.filter((key) => key >= (options.gte as string))
  if (options.lt !== undefined) keys = keys.filter((key) => key < (options.lt as string))
  if (options.reverse === true) keys.reverse()
  if (options.limit !== undefined) keys = keys.slice(0, options.limit)
  return keys.map((key) => `${key}=${state.get(key)}`)
}

async function scanned(iterable: AsyncIterable<[Uint8Array, Uint8Array]>): Promise<string[]> {
  const out: string[] = []
  for await (const [key, value] of iterable) out.push(`${decode(key)}=${decode(value)}`)
  return out
}

type Command = fc.AsyncCommand<Model, Real>

const command = (name: string, run: (model: Model, real: Real) => Promise<void>): Command => ({
  check: () => true,
  run,
  toString: () => name,
})

const writeCommand = fc.array(writeArb, { minLength: 1, maxLength: 6 }).map((writes) =>
  command(`batch ${JSON.stringify(writes).slice(0, 80)}`, async (model, real) => {
    if (writes.length === 1) {
      const [write] = writes
      await (write!.type === 'put' ? real.db.put(write!.key, write!.value) : real.db.del(write!.key))
    } else {
      await real.db.batch(writes)
    }
    for (const write of writes) applyWrite(model.current, write)
  }),
)

const transactionCommand = fc
  .record({ steps: fc.array(fc.oneof(writeArb, keyArb.map((key) => ({ type: 'get' as const, key }))), { maxLength: 8 }), abort: fc.boolean(), scan: rangeArb })
  .map(({ steps, abort, scan }) =>
    command(`transaction${abort ? ' (aborted)' : ''} ${JSON.stringify(steps).slice(0, 80)}`, async (model, real) => {
      const view = new Map(model.current)
      const result = real.db.transaction(async (tx) => {
        for (const step of steps) {
          if (step.type === 'get') expect(decode(tx.getSync(step.key))).toBe(view.get(step.key))
          else {
            if (step.type === 'put') tx.put(step.key, step.value)
            else tx.del(step.key)
            applyWrite(view, step)
          }
        }
        expect(await scanned(tx.scan(scan))).toEqual(expectedScan(view, scan))
        if (abort) throw new Error('abort')
        return 'committed'
      })
      if (abort) await expect(result).rejects.toThrow('abort')
      else {
        expect(await result).toBe('committed')
        model.current = view
      }
    }),
  )

const openSnapshotCommand = fc.constant(
  command('open snapshot', async (model, real) => {
    real.snapshots.push(real.db.snapshot())
    model.snapshots.push(new Map(model.current))
  }),
)

const readSnapshotCommand = fc.record({ index: fc.nat(), range: rangeArb, key: keyArb }).map(({ index, range, key }) =>
  command(`read snapshot #${index} ${JSON.stringify(range)}`, async (model, real) => {
    if (real.snapshots.length === 0) return
    const at = index % real.snapshots.length
    const snapshot = real.snapshots[at]!
    const state = model.snapshots[at]!
    expect(decode(snapshot.getSync(key))).toBe(state.get(key))
    expect(await scanned(snapshot.scan(range))).toEqual(expectedScan(state, range))
  }),
)

const closeSnapshotCommand = fc.nat().map((index) =>
  command(`close snapshot #${index}`, async (model, real) => {
    if (real.snapshots.length === 0) return
    const at = index % real.snapshots.length
    const [snapshot] = real.snapshots.splice(at, 1)
    model.snapshots.splice(at, 1)
    snapshot!.close()
    expect(() => snapshot!.getSync('k000')).toThrowError(expect.objectContaining({ code: 'CLOSED' }))
  }),
)

/** A scan that keeps going while writes land between its steps: it must return its starting state. */
const scanUnderWritesCommand = fc.record({ range: rangeArb, writes: fc.array(writeArb, { maxLength: 10 }) }).map(({ range, writes }) =>
  command(`scan under writes ${JSON.stringify(range)}`, async (model, real) => {
    const expected = expectedScan(model.current, range)
    const out: string[] = []
    let next = 0
    for await (const [key, value] of real.db.scan(range)) {
      out.push(`${decode(key)}=${decode(value)}`)
      const write = writes[next++]
      if (write !== undefined) {
        await (write.type === 'put' ? real.db.put(write.key, write.value) : real.db.del(write.key))
        applyWrite(model.current, write)
      }
    }
    expect(out).toEqual(expected)
  }),
)

const checkpointCommand = fc.constant(command('checkpoint', async (_model, real) => real.db.checkpoint()))

const reopenCommand = fc.constant(
  command('reopen', async (model, real) => {
    const stale = real.snapshots
    await real.db.close()
    for (const snapshot of stale) expect(() => snapshot.getSync('k000')).toThrowError(expect.objectContaining({ code: 'CLOSED' }))
    real.db = await open('/db', { vfs: real.vfs, pageSize: 512 })
    real.snapshots = []
    model.snapshots = []
    expect(await scanned(real.db.scan())).toEqual(expectedScan(model.current, {}))
  }),
)

const verifyCommand = fc.constant(
  command('verify', async (model, real) => {
    expect(await scanned(real.db.scan())).toEqual(expectedScan(model.current, {}))
    const stats = real.db.stats()
    expect(stats.snapshots.open.map((info) => info.kind)).toEqual(real.snapshots.map(() => 'snapshot'))
    const report = await real.db.check()
    expect(report.problems).toEqual([])
  }),
)

describe('snapshots and transactions against a versioned model', () => {
  it(`matches the model (fast-check seed ${SEED}, ${RUNS} runs)`, async () => {
    console.log('mvcc model: fast-check seed', SEED, '(TINYDB_MVCC_SEED to change it)')
    const commands = fc.commands(
      [
        writeCommand,
        writeCommand,
        transactionCommand,
        openSnapshotCommand,
        readSnapshotCommand,
        closeSnapshotCommand,
        scanUnderWritesCommand,
        checkpointCommand,
        reopenCommand,
        verifyCommand,
      ],
      { maxCommands: 40 },
    )
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 2 ** 31 - 1 }), commands, async (vfsSeed, sequence) => {
        const vfs = new SimVfs({ seed: vfsSeed })
        const db = await open('/db', { vfs, pageSize: 512 })
        // A tree of a few levels, so copy-on-write paths have depth.
        const initial = Array.from({ length: 100 }, (_, n) => ({ type: 'put' as const, key: `k${String(n).padStart(3, '0')}`, value: `init${n}` }))
        await db.batch(initial)
        const model: Model = { current: new Map(initial.map(({ key, value }) => [key, value])), snapshots: [] }
        const real: Real = { db, vfs, snapshots: [] }
        try {
          await fc.asyncModelRun(() => ({ model, real }), sequence)
          for (let at = 0; at < real.snapshots.length; at++) {
            expect(await scanned(real.snapshots[at]!.scan())).toEqual(expectedScan(model.snapshots[at]!, {}))
          }
        } finally {
          await real.db.close().catch((error: unknown) => {
            if (!TinyDbError.isInstance(error)) throw error
          })
        }
      }),
      { seed: SEED, numRuns: RUNS },
    )
  })
})
