import { MemoryPager } from '@tinydb/pager'
import { describe, expect, it } from 'vitest'
import { compareKeys } from '../src/compare.js'
import { BTree, type KeyRange } from '../src/index.js'
import { Random, SortedModel, bytes, collect, expectScan, expectSoundTree, hex, inRange, testSeed } from './helpers.js'

function populate(random: Random, count: number): { pager: MemoryPager; tree: BTree; model: SortedModel } {
  const pager = new MemoryPager({ pageSize: 512 })
  const tree = new BTree(pager, 0)
  const model = new SortedModel()
  for (let i = 0; i < count; i++) {
    const key = random.bytes(random.int(5))
    const value = random.bytes(random.int(12) === 0 ? 700 : random.int(20))
    tree.put(key, value)
    model.put(key, value)
  }
  return { pager, tree, model }
}

/** A bound near the data: an existing key, a neighbour of one, the empty key or random bytes. */
function boundNear(random: Random, model: SortedModel): Uint8Array | undefined {
  const sorted = model.sorted()
  switch (random.int(6)) {
    case 0:
      return undefined
    case 1:
      return new Uint8Array(0)
    case 2:
      return random.bytes(1 + random.int(4))
    case 3: {
      const key = sorted[random.int(sorted.length)]?.key ?? new Uint8Array(0)
      const extended = new Uint8Array(key.length + 1)
      extended.set(key)
      return extended
    }
    default:
      return sorted[random.int(sorted.length)]?.key
  }
}

function randomRange(random: Random, model: SortedModel): KeyRange {
  const range: { gte?: Uint8Array; gt?: Uint8Array; lte?: Uint8Array; lt?: Uint8Array; reverse?: boolean } = {}
  const gte = boundNear(random, model)
  const gt = random.int(3) === 0 ? boundNear(random, model) : undefined
  const lte = boundNear(random, model)
  const lt = random.int(3) === 0 ? boundNear(random, model) : undefined
  if (gte !== undefined) range.gte = gte
  if (gt !== undefined) range.gt = gt
  if (lte !== undefined) range.lte = lte
  if (lt !== undefined) range.lt = lt
  if (random.int(2) === 0) range.reverse = true
  return range
}

describe('cursor ranges', () => {
  it('matches the model for random bounds in both directions', () => {
    const random = new Random(testSeed('kv cursor ranges', 99))
    const { tree, model } = populate(random, 3000)
    expect(tree.stats().depth).toBeGreaterThanOrEqual(3)
    for (let i = 0; i < 400; i++) expectScan(tree, model, randomRange(random, model))
    expectScan(tree, model)
    expectScan(tree, model, { reverse: true })
  })

  it('applies the tighter of two bounds on the same side, and handles empty ranges', () => {
    const tree = new BTree(new MemoryPager({ pageSize: 512 }), 0)
    for (const k of ['', 'a', 'b', 'c', 'd', 'e']) tree.put(bytes(k), bytes(k.toUpperCase()))
    const keys = (range: KeyRange): string[] => collect(tree, range).map(([k]) => Buffer.from(k, 'hex').toString())
    expect(keys({})).toEqual(['', 'a', 'b', 'c', 'd', 'e'])
    expect(keys({ gte: bytes('b'), gt: bytes('b') })).toEqual(['c', 'd', 'e'])
    expect(keys({ gte: bytes('c'), gt: bytes('a') })).toEqual(['c', 'd', 'e'])
    expect(keys({ lte: bytes('c'), lt: bytes('c') })).toEqual(['', 'a', 'b'])
    expect(keys({ lte: bytes('b'), lt: bytes('d') })).toEqual(['', 'a', 'b'])
    expect(keys({ gt: bytes(''), lt: bytes('c'), reverse: true })).toEqual(['b', 'a'])
    expect(keys({ gte: bytes(''), lte: bytes('') })).toEqual([''])
    expect(keys({ gte: bytes('d'), lte: bytes('b') })).toEqual([])
    expect(keys({ gte: bytes('d'), lte: bytes('b'), reverse: true })).toEqual([])
    expect(keys({ gt: bytes('bb'), lte: bytes('d'), reverse: true })).toEqual(['d', 'c'])
    expect(keys({ gt: bytes('e') })).toEqual([])
    expect(keys({ lt: bytes(''), reverse: true })).toEqual([])
  })

  it('keeps returning undefined once done, even after new keys arrive', () => {
    const tree = new BTree(new MemoryPager({ pageSize: 512 }), 0)
    tree.put(bytes('a'), bytes('1'))
    const cursor = tree.cursor()
    expect(cursor.next()).toBeDefined()
    expect(cursor.next()).toBeUndefined()
    tree.put(bytes('b'), bytes('2'))
    expect(cursor.next()).toBeUndefined()
  })
})

describe('cursor stability under mutation', () => {
  /**
   * Between any two steps the tree may change (the engine's scan yields across awaits while
   * writes are applied). Each step must return the first key in the range after (before, when
   * reverse) the last returned one in the tree as it is now, with its current value.
   */
  it('never skips or repeats a key relative to the tree at each step', async () => {
    const random = new Random(testSeed('kv cursor stability', 4242))
    let steps = 0
    for (let trial = 0; trial < 40; trial++) {
      const { pager, tree, model } = populate(random, 200 + random.int(800))
      const range = randomRange(random, model)
      const reverse = range.reverse === true
      const cursor = tree.cursor(range)
      let last: Uint8Array | undefined
      let lsn = 0
      for (;;) {
        const roll = random.int(10)
        if (roll < 3) mutateNear(random, tree, model, last)
        else if (roll === 3) mutateMany(random, tree, model)
        else if (roll === 4) {
          // Copy-on-write moves every page the cursor holds a path through.
          const pending = pager.beginCheckpoint({ rootPageId: tree.rootPageId, checkpointLsn: ++lsn })
          mutateNear(random, tree, model, last)
          await pending.commit()
        }
        const expected = model
          .sorted()
          .filter(({ key }) => inRange(key, range))
          .filter(({ key }) => last === undefined || (reverse ? compareKeys(key, last) < 0 : compareKeys(key, last) > 0))
        const want = reverse ? expected[expected.length - 1] : expected[0]
        const got = cursor.next()
        steps++
        expect(got === undefined ? undefined : [hex(got[0]), hex(got[1])]).toEqual(want === undefined ? undefined : [hex(want.key), hex(want.value)])
        if (got === undefined) break
        last = got[0]
      }
      expectSoundTree(tree, pager)
    }
    expect(steps).toBeGreaterThan(2000)
  })

  it('ends cleanly when the tree is emptied mid-scan', () => {
    const random = new Random(5)
    const { tree, model } = populate(random, 500)
    const cursor = tree.cursor()
    for (let i = 0; i < 10; i++) expect(cursor.next()).toBeDefined()
    for (const { key } of model.sorted()) tree.del(key)
    expect(tree.rootPageId).toBe(0)
    expect(cursor.next()).toBeUndefined()
  })
})

/** A few puts and deletes around the cursor's position: the last key, its neighbours, new keys. */
function mutateNear(random: Random, tree: BTree, model: SortedModel, last: Uint8Array | undefined): void {
  for (let i = 1 + random.int(4); i > 0; i--) {
    let key: Uint8Array
    if (last !== undefined && random.int(2) === 0) {
      key = new Uint8Array(last.length + random.int(2))
      key.set(last)
      if (key.length > last.length) key[last.length] = random.int(256)
      else if (key.length > 0 && random.int(2) === 0) key[key.length - 1] = (key[key.length - 1]! + random.int(3) - 1) & 0xff
    } else {
      key = random.bytes(random.int(5))
    }
    if (random.int(2) === 0) {
      const value = random.bytes(random.int(10) === 0 ? 900 : random.int(20))
      tree.put(key, value)
      model.put(key, value)
    } else {
      tree.del(key)
      model.del(key)
    }
  }
}

/** A burst big enough to split and merge the pages under the cursor. */
function mutateMany(random: Random, tree: BTree, model: SortedModel): void {
  const sorted = model.sorted()
  for (let i = 0; i < 60; i++) {
    if (random.int(2) === 0 && sorted.length > 0) {
      const { key } = sorted[random.int(sorted.length)]!
      tree.del(key)
      model.del(key)
    } else {
      const key = random.bytes(random.int(5))
      const value = random.bytes(random.int(30))
      tree.put(key, value)
      model.put(key, value)
    }
  }
}
