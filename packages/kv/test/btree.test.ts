import { MemoryPager, type Page, type Pager } from '@tinydb/pager'
import { TinyDbError, corruption } from '@tinydb/vfs'
import { describe, expect, it } from 'vitest'
import { BRANCH_PAGE_TYPE, branchChildAt, setBranchChildAt } from '../src/branch-format.js'
import { LEAF_KIND, LEAF_PAGE_TYPE, leafCellOffset } from '../src/leaf-format.js'
import { OVERFLOW_PAGE_TYPE } from '../src/overflow-format.js'
import { KEY_HEAD_SLOT_SIZE, SLOT_LAYOUT_OFFSET, cellCount, fitKeyHeadPrefix } from '../src/slotted-format.js'
import { BTree } from '../src/index.js'
import { bytes, collect, expectSoundTree, hex } from './helpers.js'

function key(i: number): Uint8Array {
  return bytes(`key${String(i).padStart(6, '0')}`)
}

function filled(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  for (let i = 0; i < length; i++) out[i] = (i * 31 + seed) & 0xff
  return out
}

/** A pager whose `read` of chosen pages fails with CORRUPTION, as a checksum mismatch would. */
function failingReads(pager: Pager, failing: Set<number>): Pager {
  return new Proxy(pager, {
    get(target, property, receiver) {
      if (property === 'read') {
        return (pageId: number): Page => {
          if (failing.has(pageId)) throw corruption({ file: 'data.tdb', pageId }, 'checksum mismatch')
          return target.read(pageId)
        }
      }
      const value: unknown = Reflect.get(target, property, receiver)
      return typeof value === 'function' ? value.bind(target) : value
    },
  })
}

describe('BTree basics', () => {
  it('starts empty with root 0', () => {
    const pager = new MemoryPager({ pageSize: 512 })
    const tree = new BTree(pager, 0)
    expect(tree.rootPageId).toBe(0)
    expect(tree.get(bytes('a'))).toBeUndefined()
    expect(tree.has(bytes('a'))).toBe(false)
    expect(tree.del(bytes('a'))).toBe(false)
    expect(tree.cursor().next()).toBeUndefined()
    expect(tree.check()).toEqual({ reachablePages: [], keyCount: 0, depth: 0, problems: [] })
    expect(tree.stats()).toEqual({ depth: 0, leafPages: 0, branchPages: 0, overflowPages: 0, keyCount: 0 })
    expect(tree.depth()).toBe(0)
    expect(tree.version).toBe(0)
  })

  it('puts, gets, replaces and deletes; the last delete empties the tree to root 0', () => {
    const pager = new MemoryPager({ pageSize: 512 })
    const tree = new BTree(pager, 0)
    for (let i = 0; i < 2000; i++) tree.put(key(i), filled(i % 50, i))
    expect(tree.stats().depth).toBeGreaterThanOrEqual(3)
    expect(tree.depth()).toBe(tree.stats().depth)
    expectSoundTree(tree, pager)
    for (let i = 0; i < 2000; i += 3) tree.put(key(i), filled(20, -i))
    for (let i = 0; i < 2000; i++) {
      expect(hex(tree.get(key(i))!)).toBe(hex(i % 3 === 0 ? filled(20, -i) : filled(i % 50, i)))
    }
    expect(tree.has(key(5))).toBe(true)
    expect(tree.has(bytes('nope'))).toBe(false)
    for (let i = 0; i < 2000; i++) expect(tree.del(key(i))).toBe(true)
    expect(tree.del(key(0))).toBe(false)
    expect(tree.rootPageId).toBe(0)
    expectSoundTree(tree, pager)
    expect(pager.accounting().free.length).toBe(pager.accounting().pageCount - 2)
  })

  it('gives pages back as keys are deleted: underfull pages merge with or borrow from siblings', () => {
    const pager = new MemoryPager({ pageSize: 512 })
    const tree = new BTree(pager, 0)
    const order = Array.from({ length: 5000 }, (_, i) => (i * 7919) % 5000)
    for (const i of order) tree.put(key(i), filled(12, i))
    const full = tree.stats()
    expect(tree.depth()).toBe(full.depth)
    for (const i of order) if (i % 10 !== 0) tree.del(key(i))
    const thinned = tree.stats()
    expect(tree.depth()).toBe(thinned.depth)
    expectSoundTree(tree, pager)
    // 500 entries of 2 + 7 + 9 + 12 bytes need about 31 leaves when full; a tree that freed only
    // empty pages would still have hundreds. Pages at least a quarter full bound it at 4x.
    const minimalLeaves = Math.ceil((500 * 30) / (496 - 8))
    expect(thinned.leafPages).toBeLessThanOrEqual(4 * minimalLeaves)
    expect(thinned.leafPages).toBeLessThan(full.leafPages / 4)
    expect(pager.accounting().free.length).toBeGreaterThan(full.leafPages / 2)
  })

  it('returns copies: neither the caller nor later mutations can change what was handed out', () => {
    const tree = new BTree(new MemoryPager({ pageSize: 512 }), 0)
    const k = bytes('k')
    const v = bytes('value')
    tree.put(k, v)
    v[0] = 0
    k[0] = 0
    const got = tree.get(bytes('k'))!
    expect(new TextDecoder().decode(got)).toBe('value')
    got[0] = 0
    tree.put(bytes('k'), bytes('other'))
    expect(new TextDecoder().decode(tree.get(bytes('k'))!)).toBe('other')
    const [entryKey, entryValue] = tree.cursor().next()!
    entryKey[0] = 0
    entryValue[0] = 0
    expect(new TextDecoder().decode(tree.get(bytes('k'))!)).toBe('other')
  })

  it('accepts a zero-length key and zero-length values', () => {
    const pager = new MemoryPager({ pageSize: 512 })
    const tree = new BTree(pager, 0)
    tree.put(new Uint8Array(0), bytes('empty key'))
    tree.put(bytes('a'), new Uint8Array(0))
    for (let i = 0; i < 300; i++) tree.put(key(i), filled(10, i))
    expect(new TextDecoder().decode(tree.get(new Uint8Array(0))!)).toBe('empty key')
    expect(tree.get(bytes('a'))!.length).toBe(0)
    expect(collect(tree)[0]).toEqual(['', hex(bytes('empty key'))])
    expect(tree.del(new Uint8Array(0))).toBe(true)
    expect(tree.get(new Uint8Array(0))).toBeUndefined()
    expectSoundTree(tree, pager)
  })

  it('version counts mutations; a delete of a missing key is none', () => {
    const tree = new BTree(new MemoryPager({ pageSize: 512 }), 0)
    tree.put(bytes('a'), bytes('1'))
    tree.put(bytes('a'), bytes('2'))
    expect(tree.version).toBe(2)
    tree.del(bytes('b'))
    expect(tree.version).toBe(2)
    tree.del(bytes('a'))
    expect(tree.version).toBe(3)
  })

  it('rejects arguments of the wrong type and bad root ids', () => {
    const tree = new BTree(new MemoryPager({ pageSize: 512 }), 0)
    expect(() => tree.get('a' as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => tree.put(bytes('a'), 'b' as unknown as Uint8Array)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
    expect(() => new BTree(new MemoryPager({ pageSize: 512 }), -1)).toThrow(TinyDbError)
    expect(() => BTree.limits(100)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }))
  })
})

describe('limits and overflow values', () => {
  it('derives the key limit from the page size', () => {
    expect(BTree.limits(4096).maxKeySize).toBeGreaterThan(900)
    expect(BTree.limits(4096).maxKeySize).toBeLessThan(1024)
    expect(BTree.limits(4096).maxValueSize).toBe(64 * 1024 * 1024)
    expect(BTree.limits(512).maxKeySize).toBeLessThan(BTree.limits(1024).maxKeySize)
  })

  it('TOO_LARGE leaves the tree unchanged', () => {
    const pager = new MemoryPager({ pageSize: 512 })
    const tree = new BTree(pager, 0)
    for (let i = 0; i < 100; i++) tree.put(key(i), filled(30, i))
    const before = { root: tree.rootPageId, version: tree.version, entries: collect(tree), stats: pager.stats() }
    const { maxKeySize, maxValueSize } = BTree.limits(512)
    expect(() => tree.put(new Uint8Array(maxKeySize + 1), bytes('v'))).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }))
    expect(() => tree.put(key(1), new Uint8Array(maxValueSize + 1))).toThrow(expect.objectContaining({ code: 'TOO_LARGE' }))
    expect({ root: tree.rootPageId, version: tree.version, entries: collect(tree), stats: pager.stats() }).toEqual(before)
    tree.put(new Uint8Array(maxKeySize).fill(7), filled(5000, 1)) // the limit itself is fine, with an overflow value
    expect(tree.get(new Uint8Array(maxKeySize).fill(7))!.length).toBe(5000)
    expectSoundTree(tree, pager)
  })

  it('stores large values in overflow chains and frees them on replace and delete', () => {
    const pager = new MemoryPager({ pageSize: 512 })
    const tree = new BTree(pager, 0)
    const sizes = [0, 1, 100, 101, 102, 103, 104, 105, 120, 487, 488, 489, 976, 977, 5000, 70_000]
    sizes.forEach((size, i) => tree.put(key(i), filled(size, i)))
    sizes.forEach((size, i) => expect(hex(tree.get(key(i))!)).toBe(hex(filled(size, i))))
    const stats = tree.stats()
    expect(stats.overflowPages).toBeGreaterThan(140)
    expectSoundTree(tree, pager)
    sizes.forEach((size, i) => tree.put(key(i), filled(sizes[sizes.length - 1 - i]!, -i)))
    sizes.forEach((_, i) => expect(hex(tree.get(key(i))!)).toBe(hex(filled(sizes[sizes.length - 1 - i]!, -i))))
    expectSoundTree(tree, pager)
    sizes.forEach((_, i) => tree.del(key(i)))
    expect(tree.rootPageId).toBe(0)
    expect(pager.accounting().free.length).toBe(pager.accounting().pageCount - 2)
  })

  it('handles the longest keys (separators of nearly maximal size, fan-out near its minimum)', () => {
    const pager = new MemoryPager({ pageSize: 512 })
    const tree = new BTree(pager, 0)
    const { maxKeySize } = BTree.limits(512)
    const longKey = (i: number): Uint8Array => {
      const k = new Uint8Array(maxKeySize).fill(0x61)
      k[maxKeySize - 3] = i >> 8
      k[maxKeySize - 2] = i & 0xff
      return k
    }
    for (let i = 0; i < 400; i++) tree.put(longKey((i * 7919) % 400), filled(i % 3 === 0 ? 300 : 8, i))
    expectSoundTree(tree, pager)
    expect(tree.stats().depth).toBeGreaterThanOrEqual(4)
    for (let i = 0; i < 400; i += 2) tree.del(longKey(i))
    expectSoundTree(tree, pager)
    expect(collect(tree).length).toBe(200)
    for (let i = 1; i < 400; i += 2) tree.del(longKey(i))
    expect(tree.rootPageId).toBe(0)
  })

  it('packs pages full when keys arrive in ascending order', () => {
    const pager = new MemoryPager({ pageSize: 4096 })
    const tree = new BTree(pager, 0)
    for (let i = 0; i < 20_000; i++) tree.put(key(i), filled(100, i))
    const entryBytes = KEY_HEAD_SLOT_SIZE + 7 + 9 + 100
    const perLeaf = Math.floor((4080 - 8) / entryBytes)
    expect(tree.stats().leafPages).toBeLessThanOrEqual(Math.ceil(20_000 / perLeaf) + 1)
    expectSoundTree(tree, pager)
  })
})

describe('copy-on-write', () => {
  it('never modifies a page of a sealed checkpoint; the old root still reads the old state', async () => {
    const pager = new MemoryPager({ pageSize: 512 })
    const tree = new BTree(pager, 0)
    for (let i = 0; i < 500; i++) tree.put(key(i), filled(20, i))
    await pager.beginCheckpoint({ rootPageId: tree.rootPageId, checkpointLsn: 1 }).commit()
    const sealed = tree.check().reachablePages
    const images = new Map(sealed.map((id) => [id, hex(pager.read(id).body)]))
    const oldRoot = tree.rootPageId
    const oldEntries = collect(tree)
    const pending = pager.beginCheckpoint({ rootPageId: tree.rootPageId, checkpointLsn: 1 })
    for (let i = 0; i < 500; i += 2) tree.del(key(i))
    for (let i = 500; i < 700; i++) tree.put(key(i), filled(200, i))
    expect(tree.rootPageId).not.toBe(oldRoot)
    expectSoundTree(tree, pager)
    for (const id of sealed) expect(hex(pager.read(id).body)).toBe(images.get(id))
    expect(collect(new BTree(pager, oldRoot))).toEqual(oldEntries)
    await pending.commit()
  })
})

describe('check', () => {
  function populated(): { pager: MemoryPager; tree: BTree } {
    const pager = new MemoryPager({ pageSize: 512 })
    const tree = new BTree(pager, 0)
    for (let i = 0; i < 600; i++) tree.put(key(i), filled(i % 40 === 0 ? 1500 : 20, i))
    return { pager, tree }
  }

  function pagesOfType(pager: Pager, tree: BTree, type: number): number[] {
    return tree.check().reachablePages.filter((id) => pager.read(id).type === type)
  }

  it('reports a page the pager cannot read and keeps walking the rest', () => {
    const { pager, tree } = populated()
    const report = tree.check()
    const leaves = pagesOfType(pager, tree, LEAF_PAGE_TYPE)
    const overflow = pagesOfType(pager, tree, OVERFLOW_PAGE_TYPE)
    const broken = new BTree(failingReads(pager, new Set([leaves[3]!, overflow[0]!])), tree.rootPageId, { file: 'data.tdb' })
    const brokenReport = broken.check()
    expect(brokenReport.problems.map((p) => p.pageId).sort()).toEqual([leaves[3]!, overflow[0]!].sort())
    expect(brokenReport.problems[0]!.what).toMatch(/checksum mismatch/)
    // Everything else was still walked: only the chain behind the unreadable overflow page is lost.
    expect(brokenReport.reachablePages.length).toBeGreaterThan(report.reachablePages.length - 10)
    expect(brokenReport.depth).toBe(report.depth)
  })

  it('reports keys out of order against the separators', () => {
    const { pager, tree } = populated()
    const leaf = pagesOfType(pager, tree, LEAF_PAGE_TYPE)[5]!
    const body = pager.read(leaf).body
    body[leafCellOffset(body, 0) + 7] = 0x00 // the first key of the leaf now sorts before its separator
    fitKeyHeadPrefix(body, LEAF_KIND) // and its key-head prefix and heads agree
    const problems = tree.check().problems
    expect(problems).toEqual([{ pageId: leaf, what: expect.stringMatching(/below the separator/) }])
  })

  it('reports a page reached twice and a child of the wrong type', () => {
    const { pager, tree } = populated()
    const branch = pagesOfType(pager, tree, BRANCH_PAGE_TYPE).map((id) => pager.read(id)).find((page) => cellCount(page.body) >= 2)!
    const stray = pager.allocate(OVERFLOW_PAGE_TYPE).id
    setBranchChildAt(branch.body, 1, branchChildAt(branch.body, 0))
    setBranchChildAt(branch.body, 2, stray)
    const whats = tree.check().problems.map((p) => p.what)
    expect(whats).toContain('page reached twice')
    expect(whats.some((w) => /expected a leaf or branch page/.test(w))).toBe(true)
  })

  it('reports an overflow chain that does not match its value length; get throws CORRUPTION', () => {
    const { pager, tree } = populated()
    const overflowPage = pagesOfType(pager, tree, OVERFLOW_PAGE_TYPE)[1]!
    const chunk = pager.read(overflowPage).body
    chunk[4] = chunk[4]! ^ 1 // chunk length
    expect(tree.check().problems).toEqual([{ pageId: overflowPage, what: expect.stringMatching(/overflow chunk/) }])
    let error: unknown
    for (let i = 0; i < 600; i += 40) {
      try {
        tree.get(key(i))
      } catch (caught) {
        error = caught
      }
    }
    expect(error).toMatchObject({ code: 'CORRUPTION', pageId: overflowPage, file: 'btree' })
  })

  it('a damaged header is CORRUPTION on the read path, naming the page', () => {
    const { pager, tree } = populated()
    pager.read(tree.rootPageId).body[1] = 0xff // cell count far beyond the body
    expect(() => tree.get(key(1))).toThrow(expect.objectContaining({ code: 'CORRUPTION', pageId: tree.rootPageId }))
    expect(tree.check().problems[0]).toMatchObject({ pageId: tree.rootPageId })
  })

  it('a page in the other slot layout, or in none, is CORRUPTION on the read path and in check', () => {
    const { pager, tree } = populated()
    const [leaf, other] = pagesOfType(pager, tree, LEAF_PAGE_TYPE)
    // Offsets only, as format 2 writes: the bytes where this page keeps its heads would be read as cells.
    pager.read(leaf!).body[SLOT_LAYOUT_OFFSET] = 0
    pager.read(other!).body[SLOT_LAYOUT_OFFSET] = 7
    expect(tree.check().problems).toEqual([
      { pageId: leaf, what: 'page uses the offsets-only slot layout in a tree of key-head pages' },
      { pageId: other, what: 'unknown slot layout 7' },
    ])
    const errors = new Set<string>()
    for (let i = 0; i < 600; i++) {
      try {
        tree.get(key(i))
      } catch (caught) {
        expect(caught).toMatchObject({ code: 'CORRUPTION', file: 'btree' })
        errors.add((caught as Error).message)
      }
    }
    expect([...errors].sort()).toEqual([
      `corruption in btree page ${leaf}: page uses the offsets-only slot layout in a tree of key-head pages`,
      `corruption in btree page ${other}: unknown slot layout 7`,
    ])
  })

  it('a tree of a format-2 file reads and writes offset-only pages, and refuses a key-head page', () => {
    const pager = new MemoryPager({ pageSize: 512, formatVersion: 2 })
    const tree = new BTree(pager, 0)
    for (let i = 0; i < 300; i++) tree.put(key(i), filled(20, i))
    expectSoundTree(tree, pager)
    const pages = tree.check().reachablePages.map((id) => pager.read(id)).filter((page) => page.type !== OVERFLOW_PAGE_TYPE)
    expect(pages.every((page) => page.body[SLOT_LAYOUT_OFFSET] === 0)).toBe(true)
    pager.read(tree.rootPageId).body[SLOT_LAYOUT_OFFSET] = 1
    expect(() => tree.get(key(1))).toThrow(
      expect.objectContaining({
        code: 'CORRUPTION',
        message: `corruption in btree page ${tree.rootPageId}: page uses the key-head slot layout in a tree of offsets-only pages (a format this file predates)`,
      }),
    )
  })
})
