import { MemoryPageStorage, MemoryPager } from '@tinydb/pager'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { BTree, type KeyRange } from '../src/index.js'
import { SortedModel, collect, expectSoundTree, hex, modelRange, testSeed } from './helpers.js'

/**
 * Model-based test: random command sequences against BTree on 512-byte pages and against a sorted
 * map, with checkpoints (and mutations while a checkpoint is pending) and restarts from the
 * checkpointed storage. After every command the tree must pass `check()` and its pages plus the
 * pager's bookkeeping must partition the file. fast-check shrinks a failure to a short sequence.
 */

interface Real {
  storage: MemoryPageStorage
  pager: MemoryPager
  tree: BTree
  lsn: number
}

interface Model {
  live: SortedModel
  durable: SortedModel
}

/**
 * A small key space, so that puts replace and deletes hit: a third short keys (0–4 bytes, the
 * empty key among them), the rest behind a 40- or 80-byte common prefix, whose long separators
 * cut the branch fan-out of a 512-byte page to a handful and make the tree deep.
 */
function keyFor(id: number): Uint8Array {
  if (id % 3 === 0) {
    const key = new Uint8Array(id % 5)
    for (let i = 0; i < key.length; i++) key[i] = (id * 37 + i * 11) & 0xff
    return key
  }
  const prefix = id % 3 === 1 ? 40 : 80
  const key = new Uint8Array(prefix + 2).fill(0x70)
  key[prefix] = id >> 8
  key[prefix + 1] = id & 0xff
  return key
}

function valueFor(keyId: number, size: number, salt: number): Uint8Array {
  const value = new Uint8Array(size)
  for (let i = 0; i < size; i++) value[i] = (keyId + salt * 7 + i) & 0xff
  return value
}

type Mutation = { put: true; keyId: number; size: number; salt: number } | { put: false; keyId: number }

function apply(real: Real, model: Model, mutation: Mutation): void {
  const key = keyFor(mutation.keyId)
  if (mutation.put) {
    const value = valueFor(mutation.keyId, mutation.size, mutation.salt)
    real.tree.put(key, value)
    model.live.put(key, value)
  } else {
    expect(real.tree.del(key)).toBe(model.live.del(key))
  }
}

function verify(real: Real): void {
  expectSoundTree(real.tree, real.pager)
}

class MutateCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly mutation: Mutation) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: Real): Promise<void> {
    apply(real, model, this.mutation)
    const key = keyFor(this.mutation.keyId)
    expect(real.tree.get(key)?.length).toBe(model.live.get(key)?.length)
    verify(real)
  }
  toString(): string {
    const m = this.mutation
    return m.put ? `put(${m.keyId}, ${m.size}b)` : `del(${m.keyId})`
  }
}

class GetCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly keyId: number) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: Real): Promise<void> {
    const key = keyFor(this.keyId)
    const expected = model.live.get(key)
    expect(real.tree.has(key)).toBe(expected !== undefined)
    const got = real.tree.get(key)
    expect(got === undefined ? undefined : hex(got)).toBe(expected === undefined ? undefined : hex(expected))
  }
  toString(): string {
    return `get(${this.keyId})`
  }
}

class ScanCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly range: KeyRange, readonly label: string) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: Real): Promise<void> {
    expect(collect(real.tree, this.range)).toEqual(modelRange(model.live, this.range))
  }
  toString(): string {
    return `scan(${this.label})`
  }
}

/** Seals a checkpoint, applies `during` while it is pending (copy-on-write territory), commits. */
class CheckpointCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly during: Mutation[]) {}
  check(): boolean {
    return true
  }
  async run(model: Model, real: Real): Promise<void> {
    real.lsn++
    const sealed = model.live.clone()
    const pending = real.pager.beginCheckpoint({ rootPageId: real.tree.rootPageId, checkpointLsn: real.lsn })
    for (const mutation of this.during) apply(real, model, mutation)
    await pending.commit()
    model.durable = sealed
    verify(real)
  }
  toString(): string {
    return `checkpoint(+${this.during.length} during)`
  }
}

/** A restart: only the checkpointed state comes back. */
class ReopenCommand implements fc.AsyncCommand<Model, Real> {
  check(): boolean {
    return true
  }
  async run(model: Model, real: Real): Promise<void> {
    await real.pager.close()
    real.pager = new MemoryPager({ storage: real.storage })
    real.tree = new BTree(real.pager, real.pager.meta.rootPageId)
    model.live = model.durable.clone()
    expect(collect(real.tree)).toEqual(modelRange(model.live))
    verify(real)
  }
  toString(): string {
    return 'reopen'
  }
}

const keyId = fc.integer({ min: 0, max: 400 })
// Sizes around the 512-byte page's inline limit (about 110 bytes) and multi-page overflow chains.
const size = fc.oneof(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 90, max: 130 }), fc.integer({ min: 400, max: 1500 }))
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ put: fc.constant(true as const), keyId, size, salt: fc.nat(1000) }) },
  { weight: 2, arbitrary: fc.record({ put: fc.constant(false as const), keyId }) },
)
const bound = fc.option(keyId.map(keyFor), { nil: undefined })
const range = fc
  .record({ gte: bound, gt: bound, lte: bound, lt: bound, reverse: fc.boolean() })
  .map((r) => {
    const out: { -readonly [K in keyof KeyRange]: KeyRange[K] } = { reverse: r.reverse }
    if (r.gte !== undefined) out.gte = r.gte
    if (r.gt !== undefined) out.gt = r.gt
    if (r.lte !== undefined) out.lte = r.lte
    if (r.lt !== undefined) out.lt = r.lt
    return out as KeyRange
  })

const commands = [
  { weight: 12, arbitrary: mutation.map((m) => new MutateCommand(m)) },
  { weight: 2, arbitrary: keyId.map((id) => new GetCommand(id)) },
  {
    weight: 1,
    arbitrary: range.map(
      (r) => new ScanCommand(r, Object.entries(r).map(([k, v]) => `${k}=${v instanceof Uint8Array ? hex(v) : String(v)}`).join(' ')),
    ),
  },
  { weight: 1, arbitrary: fc.array(mutation, { maxLength: 12 }).map((during) => new CheckpointCommand(during)) },
  { weight: 1, arbitrary: fc.constant(new ReopenCommand()) },
].map(({ weight, arbitrary }) => ({ weight, arbitrary: arbitrary as fc.Arbitrary<fc.AsyncCommand<Model, Real>> }))

describe('BTree against a sorted map (fast-check commands)', () => {
  it('agrees on every get and scan, stays sound, leaks no page, survives checkpoints and restarts', async () => {
    const seed = testSeed('kv model', 20240611)
    const stats = { runs: 0, commands: 0, maxKeys: 0, maxDepth: 0 }
    await fc.assert(
      fc.asyncProperty(fc.commands([fc.oneof(...commands)], { maxCommands: 1000, size: 'max' }), async (sequence) => {
        const storage = new MemoryPageStorage(512)
        const pager = new MemoryPager({ storage })
        const real: Real = { storage, pager, tree: new BTree(pager, 0), lsn: 0 }
        const model: Model = { live: new SortedModel(), durable: new SortedModel() }
        await fc.asyncModelRun(() => ({ model, real }), sequence)
        stats.runs++
        stats.commands += [...sequence].length
        stats.maxKeys = Math.max(stats.maxKeys, model.live.entries.size)
        stats.maxDepth = Math.max(stats.maxDepth, real.tree.stats().depth)
        expect(collect(real.tree)).toEqual(modelRange(model.live))
        expect(collect(real.tree, { reverse: true })).toEqual(modelRange(model.live, { reverse: true }))
      }),
      { seed, numRuns: 25 },
    )
    console.log(stats)
  })
})
