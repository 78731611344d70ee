import { MemoryPageStorage, MemoryPager } from '@tinydb/pager'
import { describe, expect, it } from 'vitest'
import { BTree } from '../src/index.js'
import { Random, SortedModel, expectScan, expectSoundTree, hex, testSeed } from './helpers.js'

/**
 * A long seeded run (twenty thousand operations) on 512-byte pages, in phases that stress
 * different shapes: short random keys with values from empty to multi-page overflow chains, keys
 * near the size limit with a long common prefix (fan-out near its minimum of 4), an ascending bulk
 * load followed by deleting a whole range (cascading merges and root collapses). Checkpoints are
 * interleaved, with mutations applied while one is pending, and every committed checkpoint is
 * reopened from the storage and compared with the model as of that checkpoint. It runs in both
 * slot layouts: that of data-file format 2 (offsets) and that of the current format (key heads).
 */

const PAGE_SIZE = 512

type KeyShape = (random: Random, step: number, maxKeySize: number) => Uint8Array

const shortKeys: KeyShape = (random) => random.bytes(random.int(7))
const longKeys: KeyShape = (random, _step, maxKeySize) => {
  const key = new Uint8Array(maxKeySize - random.int(20)).fill(0x4b)
  key[key.length - 1] = random.int(256)
  key[key.length - 2] = random.int(16)
  return key
}
/** Separator lengths that vary wildly between neighbours: a redistribution can replace a 2-byte
 * separator with an 80-byte one, which may split the parent on the delete path. */
const mixedKeys: KeyShape = (random, _step, maxKeySize) => {
  if (random.int(2) === 0) return random.bytes(1 + random.int(2))
  const key = new Uint8Array(maxKeySize - 10).fill(0x78)
  key[0] = random.int(256)
  key[key.length - 1] = random.int(256)
  return key
}
const ascendingKeys: KeyShape = (_random, step) => {
  const key = new Uint8Array(8)
  new DataView(key.buffer).setUint32(0, step)
  return key
}

function valueSize(random: Random): number {
  const roll = random.int(20)
  if (roll === 0) return 400 + random.int(3000) // overflow chain of 1–7 pages
  if (roll < 3) return 80 + random.int(60) // around the inline limit
  return random.int(30)
}

function same(actual: Uint8Array | undefined, expected: Uint8Array | undefined, what: string): void {
  const a = actual === undefined ? 'undefined' : hex(actual)
  const b = expected === undefined ? 'undefined' : hex(expected)
  if (a !== b) expect(a, what).toBe(b)
}

describe.each([
  { layout: 'offsets (format 2)', formatVersion: 2 },
  { layout: 'key heads (format 3)', formatVersion: 3 },
])('BTree under a long seeded random workload, $layout', ({ formatVersion }) => {
  it('matches the model through splits, merges, overflow chains, checkpoints and restarts', async () => {
    const random = new Random(testSeed('kv random ops', 1337))
    const { maxKeySize } = BTree.limits(PAGE_SIZE, formatVersion)
    const storage = new MemoryPageStorage(PAGE_SIZE, formatVersion)
    let pager = new MemoryPager({ storage })
    let tree = new BTree(pager, 0)
    let model = new SortedModel()
    let lsn = 0
    let maxDepth = 0
    let restarts = 0
    const recentKeys: Uint8Array[] = []

    const mutate = (shape: KeyShape, step: number, putBias: number): void => {
      const reuse = recentKeys.length > 0 && random.next() < 0.5
      const key = reuse ? recentKeys[random.int(recentKeys.length)]! : shape(random, step, maxKeySize)
      if (!reuse) {
        if (recentKeys.length < 2000) recentKeys.push(key)
        else recentKeys[random.int(2000)] = key
      }
      if (random.next() < putBias) {
        const value = random.bytes(valueSize(random))
        tree.put(key, value)
        model.put(key, value)
      } else {
        const existed = tree.del(key)
        if (existed !== model.del(key)) expect(existed, `del ${hex(key)}`).toBe(!existed)
      }
      same(tree.get(key), model.get(key), `get ${hex(key)}`)
    }

    const checkpoint = async (shape: KeyShape, step: number): Promise<void> => {
      lsn++
      const sealed = model.clone()
      const pending = pager.beginCheckpoint({ rootPageId: tree.rootPageId, checkpointLsn: lsn })
      for (let i = random.int(50); i > 0; i--) mutate(shape, step, 0.6)
      await pending.commit()
      const reopenedPager = new MemoryPager({ storage })
      const reopened = new BTree(reopenedPager, reopenedPager.meta.rootPageId)
      expectScan(reopened, sealed)
      expectSoundTree(reopened, reopenedPager)
      if (lsn % 4 === 0) {
        // A restart: continue from the checkpoint, losing what came after it.
        await pager.close()
        pager = reopenedPager
        tree = reopened
        model = sealed
        restarts++
      }
    }

    const phases: Array<{ shape: KeyShape; steps: number; putBias: number }> = [
      { shape: shortKeys, steps: 8_000, putBias: 0.6 },
      { shape: longKeys, steps: 4_000, putBias: 0.6 },
      { shape: mixedKeys, steps: 6_000, putBias: 0.55 },
      { shape: ascendingKeys, steps: 4_000, putBias: 1 },
      { shape: shortKeys, steps: 4_000, putBias: 0.3 },
    ]
    for (const { shape, steps, putBias } of phases) {
      for (let step = 0; step < steps; step++) {
        mutate(shape, step, putBias)
        if (step % 500 === 0) {
          expectSoundTree(tree, pager)
          maxDepth = Math.max(maxDepth, tree.check().depth)
        }
        if (step % 700 === 699) await checkpoint(shape, step)
      }
      expectScan(tree, model)
    }

    // Delete a whole range of the ascending keys: merges cascade up and the root collapses.
    for (const { key } of model.sorted()) {
      if (key.length === 8 && key[0] === 0) {
        expect(tree.del(key)).toBe(true)
        model.del(key)
      }
    }
    expectSoundTree(tree, pager)
    expectScan(tree, model, { reverse: true })

    // Everything goes: the tree is empty, and after two checkpoints every page is free again.
    for (const { key } of model.sorted()) tree.del(key)
    expect(tree.rootPageId).toBe(0)
    for (let i = 0; i < 2; i++) await pager.beginCheckpoint({ rootPageId: 0, checkpointLsn: ++lsn }).commit()
    const accounting = pager.accounting()
    expect(accounting.free.length).toBe(accounting.pageCount - 2)
    expect(tree.check().problems).toEqual([])
    console.log(`kv random ops (format ${formatVersion}): max depth ${maxDepth}, ${restarts} restarts, ${accounting.pageCount} pages at peak`)
    expect(maxDepth).toBeGreaterThanOrEqual(4)
  })
})
