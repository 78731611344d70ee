import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { AbstractSnapshot } from 'abstract-level'
import { TinyLevel } from '../src/index.js'

/**
 * Seeded random operations through the Level API, checked against a sorted in-memory model after
 * every step: puts, deletes, batches, range clears, and iterators (entries, keys, values) with
 * random ranges, `reverse`, `limit` and seeks, over keys that share prefixes and include bytes
 * above 0x7f (so byte order, not string order, is what is compared). Writes interleave with reads
 * of a live iterator, which must see the store as it was when the iterator was created (its
 * implicit snapshot), and with reads through an explicit snapshot (`db.snapshot()`) held over many
 * steps, checked against a copy of the model taken with it.
 */

const SEED = Number(process.env['TINYLEVEL_MODEL_SEED'] ?? 20261126)
const STEPS = 600

/** mulberry32: small, seeded, deterministic. */
function prng(seed: number): { int(below: number): number } {
  let state = seed >>> 0
  return {
    int(below: number): number {
      state = (state + 0x6d2b79f5) >>> 0
      let t = state
      t = Math.imul(t ^ (t >>> 15), t | 1)
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
      return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * below >>> 0
    },
  }
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex')
const compare = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b)

interface Range {
  gt?: Uint8Array
  gte?: Uint8Array
  lt?: Uint8Array
  lte?: Uint8Array
  reverse: boolean
  limit: number
}

/** The model's answer for a Level range (gte wins over gt, lte over lt, as in abstract-level). */
function expected(model: Map<string, [Uint8Array, Uint8Array]>, range: Range, from?: Uint8Array): [Uint8Array, Uint8Array][] {
  const lower = range.gte !== undefined ? { key: range.gte, inclusive: true } : range.gt !== undefined ? { key: range.gt, inclusive: false } : undefined
  const upper = range.lte !== undefined ? { key: range.lte, inclusive: true } : range.lt !== undefined ? { key: range.lt, inclusive: false } : undefined
  let entries = [...model.values()].sort(([a], [b]) => compare(a, b))
  entries = entries.filter(([key]) => {
    if (lower !== undefined && (lower.inclusive ? compare(key, lower.key) < 0 : compare(key, lower.key) <= 0)) return false
    if (upper !== undefined && (upper.inclusive ? compare(key, upper.key) > 0 : compare(key, upper.key) >= 0)) return false
    if (from !== undefined && (range.reverse ? compare(key, from) > 0 : compare(key, from) < 0)) return false
    return true
  })
  if (range.reverse) entries.reverse()
  return range.limit >= 0 ? entries.slice(0, range.limit) : entries
}

describe(`TinyLevel against a model (seed ${SEED})`, () => {
  let root: string
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'tinylevel-model-'))
  })
  afterAll(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it(`matches the model over ${STEPS} random steps, across a reopen`, async () => {
    const random = prng(SEED)
    const alphabet = [0x00, 0x61, 0x62, 0x7f, 0x80, 0xff]
    const randomKey = () => Uint8Array.from({ length: 1 + random.int(3) }, () => alphabet[random.int(alphabet.length)]!)
    const randomValue = () => Uint8Array.from({ length: random.int(random.int(10) === 0 ? 3000 : 20) }, () => random.int(256))
    const randomRange = (): Range => {
      const range: Range = { reverse: random.int(2) === 0, limit: random.int(3) === 0 ? random.int(6) : -1 }
      const roll = random.int(8)
      if (roll & 1) range[random.int(2) === 0 ? 'gt' : 'gte'] = randomKey()
      if (roll & 2) range[random.int(2) === 0 ? 'lt' : 'lte'] = randomKey()
      if (roll === 7) range.gt = randomKey() // both gt and gte may be given
      return range
    }

    const options = { keyEncoding: 'view', valueEncoding: 'view', walSegmentSize: 64 * 1024, pageSize: 1024 } as const
    let db = new TinyLevel<Uint8Array, Uint8Array>(join(root, 'db'), options)
    const model = new Map<string, [Uint8Array, Uint8Array]>()
    // An explicit snapshot and the model as it was when it was taken.
    let held: { snapshot: AbstractSnapshot; model: Map<string, [Uint8Array, Uint8Array]>; step: number } | undefined
    const asHex = (entries: [Uint8Array, Uint8Array][]) => entries.map(([k, v]) => `${hex(k)}=${hex(v)}`)

    for (let step = 0; step < STEPS; step++) {
      const roll = random.int(20)
      if (roll < 7) {
        const key = randomKey()
        const value = randomValue()
        await db.put(key, value)
        model.set(hex(key), [key, value])
      } else if (roll < 9) {
        const key = randomKey()
        await db.del(key)
        model.delete(hex(key))
      } else if (roll < 11) {
        const operations = Array.from({ length: 1 + random.int(8) }, () =>
          random.int(3) === 0 ? { type: 'del' as const, key: randomKey() } : { type: 'put' as const, key: randomKey(), value: randomValue() },
        )
        await db.batch(operations)
        for (const operation of operations) {
          if (operation.type === 'put') model.set(hex(operation.key), [operation.key, operation.value])
          else model.delete(hex(operation.key))
        }
      } else if (roll < 12) {
        const range = randomRange()
        const doomed = expected(model, range)
        await db.clear(range)
        for (const [key] of doomed) model.delete(hex(key))
      } else if (roll < 13) {
        await db.close() // closes a held snapshot too
        held = undefined
        db = new TinyLevel<Uint8Array, Uint8Array>(join(root, 'db'), options)
      } else if (roll < 15) {
        // Take an explicit snapshot, or read through the one held (and maybe close it).
        if (held === undefined) {
          if (db.status !== 'open') await db.open()
          held = { snapshot: db.snapshot(), model: new Map(model), step }
        } else {
          const { snapshot } = held
          const range = randomRange()
          const label = `step ${step}: snapshot of step ${held.step}`
          const iterator = db.iterator({ ...range, snapshot })
          expect(asHex(await iterator.all()), `${label}, iterator`).toEqual(asHex(expected(held.model, range)))
          await iterator.close()
          const keys = [randomKey(), ...[...held.model.values()].slice(0, 3).map(([key]) => key)]
          const want = keys.map((key) => held!.model.get(hex(key))?.[1])
          expect((await db.getMany(keys, { snapshot })).map((value) => value && hex(value)), `${label}, getMany`).toEqual(want.map((value) => value && hex(value)))
          expect(db.getSync(keys[0]!, { snapshot }), `${label}, getSync`).toEqual(want[0])
          expect(await db.has(keys[0]!, { snapshot }), `${label}, has`).toBe(want[0] !== undefined)
          if (random.int(3) === 0) {
            await snapshot.close()
            held = undefined
          }
        }
      } else {
        // A live iterator: read some, maybe write or seek, read the rest, from the store as it was
        // when the iterator was created.
        const range = randomRange()
        const iterator = db.iterator(range)
        const atCreation = new Map(model)
        const putMeanwhile = async () => {
          const key = randomKey()
          const value = randomValue()
          await db.put(key, value)
          model.set(hex(key), [key, value])
        }
        if (random.int(2) === 0) await putMeanwhile()
        const firstSize = 1 + random.int(3)
        const wantFirst = expected(atCreation, range).slice(0, firstSize)
        const first = await iterator.nextv(firstSize)
        expect(asHex(first), `step ${step}: first read`).toEqual(asHex(wantFirst))
        if (random.int(2) === 0) await putMeanwhile()
        const remaining = range.limit >= 0 ? range.limit - first.length : -1
        let rest: [Uint8Array, Uint8Array][]
        let want: [Uint8Array, Uint8Array][]
        if (random.int(3) === 0) {
          const target = randomKey()
          iterator.seek(target)
          rest = await iterator.all()
          want = expected(atCreation, { ...range, limit: remaining }, target)
        } else if (first.length === 0) {
          // An empty read is the natural end of the iterator: it stays ended (abstract-level rule).
          rest = await iterator.all()
          want = []
        } else {
          rest = await iterator.all()
          // Everything after the last key read, without the writes made meanwhile.
          const last = first[first.length - 1]
          want = expected(atCreation, { ...range, limit: -1 })
          if (last !== undefined) want = want.filter(([key]) => compare(key, last[0]) * (range.reverse ? -1 : 1) > 0)
          if (remaining >= 0) want = want.slice(0, remaining)
        }
        expect(asHex(rest), `step ${step}: iterator ${JSON.stringify({ ...range, gt: range.gt && hex(range.gt), gte: range.gte && hex(range.gte), lt: range.lt && hex(range.lt), lte: range.lte && hex(range.lte) })}`).toEqual(asHex(want))
        await iterator.close()
      }
      if (step % 25 === 0 || step === STEPS - 1) {
        expect(asHex(await db.iterator().all()), `step ${step}: whole store`).toEqual(asHex(expected(model, { reverse: false, limit: -1 })))
        expect(asHex(await db.iterator({ reverse: true }).all()), `step ${step}: whole store, reverse`).toEqual(
          asHex(expected(model, { reverse: true, limit: -1 })),
        )
        const keys = [...model.values()].slice(0, 5).map(([key]) => key)
        expect((await db.getMany(keys)).map((value) => value && hex(value))).toEqual(keys.map((key) => hex(model.get(hex(key))![1])))
      }
    }
    await held?.snapshot.close()
    await db.close()
  })
})
