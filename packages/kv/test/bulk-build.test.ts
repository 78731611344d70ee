import { MemoryPager } from '@tinydb/pager'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { LEAF_HEADER_SIZE, leafCellLength } from '../src/leaf-format.js'
import { maxCellSize } from '../src/limits.js'
import { overflowPageCount } from '../src/overflow-format.js'
import { slotSizeFor } from '../src/slotted-format.js'
import { BTree, TreeBuilder, buildTree, compareKeys } from '../src/index.js'
import { SortedModel, expectScan, expectSoundTree, testSeed } from './helpers.js'

/**
 * The bulk builder against a sorted map: whatever the sorted input (short, long, shared-prefix keys;
 * inline and overflow values; 512- and 4096-byte pages), the built tree passes `check()`, every
 * page is accounted for, get and cursors (both directions) return exactly the input, and the leaf
 * count is within the bound next-fit packing guarantees over the byte minimum.
 */

const entryArbitrary = fc.record({
  key: fc.oneof(
    fc.uint8Array({ minLength: 0, maxLength: 6 }),
    fc.uint8Array({ minLength: 0, maxLength: 3 }).map((tail) => Uint8Array.from([...new Uint8Array(60).fill(0x61), ...tail])),
  ),
  size: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 40 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 9000 }) }),
  salt: fc.integer({ min: 0, max: 255 }),
})

function valueOf(size: number, salt: number): Uint8Array {
  const value = new Uint8Array(size)
  for (let i = 0; i < size; i++) value[i] = (salt + i * 13) & 0xff
  return value
}

describe('TreeBuilder', () => {
  it('builds a sound tree equal to any sorted input, close to the fewest pages', () => {
    const seed = testSeed('kv bulk build', 20261126)
    fc.assert(
      fc.property(fc.array(entryArbitrary, { maxLength: 600 }), fc.constantFrom(512, 4096), fc.constantFrom(2, 3), (raw, pageSize, formatVersion) => {
        const model = new SortedModel()
        for (const { key, size, salt } of raw) model.put(key, valueOf(size, salt))
        const sorted = model.sorted()
        const pager = new MemoryPager({ pageSize, formatVersion })
        const keyHeads = formatVersion >= 3
        const root = buildTree(pager, sorted.map(({ key, value }) => [key, value] as const))
        const tree = new BTree(pager, root)
        expectSoundTree(tree, pager)
        expect(tree.check().keyCount).toBe(sorted.length)
        expectScan(tree, model)
        expectScan(tree, model, { reverse: true })
        for (const { key, value } of sorted) expect(tree.get(key)).toEqual(value)

        // Leaves are filled by next-fit: no entry is larger than a quarter page, so every leaf but
        // the last is more than three-quarters full and the count stays near the byte minimum.
        const usable = pager.bodySize - LEAF_HEADER_SIZE
        const maxCell = maxCellSize(pager.bodySize, keyHeads)
        let leafBytes = 0
        let overflowPages = 0
        for (const { key, value } of sorted) {
          const overflow = leafCellLength(key.length, value.length, false) > maxCell
          leafBytes += leafCellLength(key.length, value.length, overflow) + slotSizeFor(keyHeads)
          if (overflow) overflowPages += overflowPageCount(value.length, pager.bodySize)
        }
        const stats = tree.stats()
        const minimumLeaves = Math.ceil(leafBytes / usable)
        expect(stats.leafPages).toBeLessThanOrEqual(Math.ceil((minimumLeaves * 4) / 3) + 1)
        expect(stats.overflowPages).toBe(overflowPages)
        expect(stats.branchPages).toBeLessThanOrEqual(Math.ceil(stats.leafPages / 2) + stats.depth)
        // Nothing else was allocated: the file holds the two meta pages and the tree.
        expect(pager.accounting().pageCount).toBe(2 + stats.leafPages + stats.branchPages + stats.overflowPages)
      }),
      { seed, numRuns: 60 },
    )
  })

  it('packs small entries into nearly full leaves and builds several branch levels', () => {
    const pager = new MemoryPager({ pageSize: 512 })
    const builder = new TreeBuilder(pager)
    const key = (i: number) => new TextEncoder().encode(`key-${String(i).padStart(6, '0')}-${'x'.repeat(30)}`)
    const n = 5000
    for (let i = 0; i < n; i++) builder.add(key(i), Uint8Array.of(i & 0xff))
    const tree = new BTree(pager, builder.finish())
    expectSoundTree(tree, pager)
    const stats = tree.stats()
    expect(stats.depth).toBeGreaterThanOrEqual(3)
    const cell = leafCellLength(key(0).length, 1, false) + slotSizeFor(true)
    const perLeaf = Math.floor((pager.bodySize - LEAF_HEADER_SIZE) / cell)
    expect(stats.leafPages).toBe(Math.ceil(n / perLeaf))
    expect(tree.get(key(4321))).toEqual(Uint8Array.of(4321 & 0xff))
  })

  it('never leaves a branch with a single child, whatever the number of leaves', () => {
    // Every leaf count from 1 to 80: some end a branch level exactly one child past a full page.
    const key = (i: number) => new TextEncoder().encode(`${String(i).padStart(5, '0')}${'s'.repeat(60)}`)
    const cell = leafCellLength(key(0).length, 8, false) + slotSizeFor(true)
    const perLeaf = Math.floor((new MemoryPager({ pageSize: 512 }).bodySize - LEAF_HEADER_SIZE) / cell)
    for (let leaves = 1; leaves <= 80; leaves++) {
      const pager = new MemoryPager({ pageSize: 512 })
      const builder = new TreeBuilder(pager)
      for (let i = 0; i < leaves * perLeaf; i++) builder.add(key(i), new Uint8Array(8))
      const tree = new BTree(pager, builder.finish())
      expect(tree.check().problems, `${leaves} leaves`).toEqual([])
      expect(tree.stats().leafPages).toBe(leaves)
    }
  })

  it('returns root 0 for no entries and a lone leaf for one', () => {
    expect(buildTree(new MemoryPager({ pageSize: 512 }), [])).toBe(0)
    const pager = new MemoryPager({ pageSize: 512 })
    const tree = new BTree(pager, buildTree(pager, [[Uint8Array.of(1), Uint8Array.of(2)]]))
    expect(tree.stats()).toMatchObject({ depth: 1, leafPages: 1, branchPages: 0 })
    expectSoundTree(tree, pager)
  })

  it('refuses unsorted and duplicate keys with INVALID_ARGUMENT, oversized keys with TOO_LARGE', () => {
    const builder = new TreeBuilder(new MemoryPager({ pageSize: 512 }))
    builder.add(Uint8Array.of(5), Uint8Array.of())
    expect(() => builder.add(Uint8Array.of(5), Uint8Array.of())).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => builder.add(Uint8Array.of(4, 9), Uint8Array.of())).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    const limit = BTree.limits(512).maxKeySize
    expect(() => builder.add(new Uint8Array(limit + 1).fill(9), Uint8Array.of())).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }))
    builder.add(new Uint8Array(limit).fill(9), Uint8Array.of())
    builder.finish()
    expect(() => builder.add(Uint8Array.of(10), Uint8Array.of())).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })

  it('never modifies a page once allocated, so a checkpoint may be sealed between adds', async () => {
    const pager = new MemoryPager({ pageSize: 512 })
    const builder = new TreeBuilder(pager)
    const keys: Uint8Array[] = []
    for (let i = 0; i < 3000; i++) keys.push(new TextEncoder().encode(`k${String(i * 7919).padStart(9, '0')}`))
    keys.sort(compareKeys)
    for (const [i, key] of keys.entries()) {
      builder.add(key, valueOf(i % 3 === 0 ? 700 : 20, i))
      if (i % 97 === 0) await pager.beginCheckpoint({ rootPageId: 0, checkpointLsn: 0 }).commit()
    }
    const tree = new BTree(pager, builder.finish())
    expectSoundTree(tree, pager)
    for (const [i, key] of keys.entries()) expect(tree.get(key)).toEqual(valueOf(i % 3 === 0 ? 700 : 20, i))
  })
})
