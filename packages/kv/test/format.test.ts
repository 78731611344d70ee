import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { readU16, writeU16, writeU32, zeroBytes } from '../src/bytes.js'
import {
  BRANCH_HEADER_SIZE,
  BRANCH_KIND,
  branchCellLength,
  branchCellSize,
  branchChildAt,
  branchChildIndex,
  initBranch,
  setBranchChildAt,
  validateBranch,
  writeBranchCell,
} from '../src/branch-format.js'
import { compareKeys, shortestSeparator } from '../src/compare.js'
import {
  LEAF_CELL_FLAGS_OFFSET,
  LEAF_HEADER_SIZE,
  LEAF_KIND,
  leafCellLength,
  leafCellOffset,
  leafCellSize,
  leafFind,
  leafIsOverflow,
  leafOverflowPageId,
  leafSeek,
  leafValueLength,
  leafValueStart,
  validateLeaf,
  writeLeafCell,
} from '../src/leaf-format.js'
import { maxCellSize, treeLimits } from '../src/limits.js'
import {
  OVERFLOW_NEXT_PAGE_OFFSET,
  overflowCapacity,
  overflowPageCount,
  overflowPageProblem,
  writeOverflowPage,
} from '../src/overflow-format.js'
import {
  CELL_AREA_START_OFFSET,
  CELL_COUNT_OFFSET,
  FRAGMENTED_BYTES_OFFSET,
  KEY_HEAD_PREFIX_OFFSET,
  SLOT_LAYOUT_OFFSET,
  cellCount,
  compactCells,
  fitKeyHeadPrefix,
  initSlotted,
  insertCell,
  keyHead,
  keyHeadPrefix,
  removeCell,
  slotSizeFor,
  slottedHeaderProblem,
  usedBytes,
} from '../src/slotted-format.js'
import { bytes, hex } from './helpers.js'

const BODY = 496 // a 512-byte page under a 16-byte pager header

/** Both slot layouts (slotted-format.ts): every page-level test runs in each. */
const LAYOUTS = [
  { layout: 'offsets', keyHeads: false },
  { layout: 'key heads', keyHeads: true },
] as const

const headOf = (key: Uint8Array): number => keyHead(key, 0, key.length)

function leafWith(keys: Array<string | Uint8Array>, values: Array<string | Uint8Array> = keys, keyHeads = true): Uint8Array {
  const body = new Uint8Array(BODY)
  const scratch = new Uint8Array(BODY)
  initSlotted(body, keyHeads)
  const asBytes = (k: string | Uint8Array): Uint8Array => (typeof k === 'string' ? bytes(k) : k)
  const sorted = keys.map((k, i) => [asBytes(k), asBytes(values[i]!)] as const).sort((a, b) => compareKeys(a[0], b[0]))
  for (const [key, value] of sorted) {
    const offset = insertCell(body, LEAF_KIND, cellCount(body), leafCellLength(key.length, value.length, false), key, 0, key.length, scratch)
    expect(offset).toBeGreaterThan(0)
    writeLeafCell(body, offset, key, value.length, value, 0)
  }
  return body
}

function leafKeys(body: Uint8Array): string[] {
  const out: string[] = []
  for (let i = 0; i < cellCount(body); i++) {
    const offset = leafCellOffset(body, i)
    out.push(new TextDecoder().decode(body.subarray(offset + 7, offset + 7 + readU16(body, offset))))
  }
  return out
}

describe('key order (compare.ts)', () => {
  it('is memcmp order with shorter prefixes first, like Buffer.compare', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), fc.uint8Array({ maxLength: 12 }), (a, b) => {
        expect(Math.sign(compareKeys(a, b))).toBe(Buffer.compare(a, b))
      }),
    )
    expect(compareKeys(new Uint8Array([]), new Uint8Array([0]))).toBeLessThan(0)
    expect(compareKeys(new Uint8Array([1, 255]), new Uint8Array([2]))).toBeLessThan(0)
  })

  it('shortestSeparator(a, b) is a prefix s of b with a < s <= b', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 10 }), fc.uint8Array({ maxLength: 10 }), (x, y) => {
        const order = compareKeys(x, y)
        fc.pre(order !== 0)
        const [a, b] = order < 0 ? [x, y] : [y, x]
        const s = shortestSeparator(a, 0, a.length, b, 0, b.length)
        expect(compareKeys(a, s)).toBeLessThan(0)
        expect(compareKeys(s, b)).toBeLessThanOrEqual(0)
        expect(hex(b.subarray(0, s.length))).toBe(hex(s))
      }),
    )
    expect([...shortestSeparator(bytes('abc'), 0, 3, bytes('abd123'), 0, 6)]).toEqual([...bytes('abd')])
    expect([...shortestSeparator(bytes(''), 0, 0, bytes('zz'), 0, 2)]).toEqual([...bytes('z')])
  })
})

describe('zeroBytes (bytes.ts)', () => {
  it('zeroes exactly [from, to), in plain and in shared memory, past the size of its zero source', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 1, max: 65536 }), fc.nat(), fc.nat(), (shared, size, a, b) => {
        const memory = shared ? new SharedArrayBuffer(size + 8) : new ArrayBuffer(size + 8)
        const bytes = new Uint8Array(memory, 8, size) // not at the buffer's start, as a page in a slab
        bytes.fill(0xa5)
        const [from, to] = [a % (size + 1), b % (size + 1)].sort((x, y) => x - y) as [number, number]
        zeroBytes(bytes, from, to)
        const expected = new Uint8Array(size).fill(0xa5).fill(0, from, to)
        expect(Buffer.compare(bytes, expected)).toBe(0)
        expect(new Uint8Array(memory, 0, 8).every((byte) => byte === 0)).toBe(true)
      }),
      { numRuns: 200 },
    )
  })
})

describe('key heads (slotted-format.ts)', () => {
  it('order keys as memcmp does wherever they differ: head(a) < head(b) implies a < b', () => {
    const key = fc.uint8Array({ maxLength: 6 }).map((k) => k.map((byte) => byte % 3)) // small alphabet with zero bytes: many equal heads
    fc.assert(
      fc.property(key, key, (a, b) => {
        const order = Buffer.compare(a, b)
        const heads = Math.sign(headOf(a) - headOf(b))
        if (heads !== 0) expect(heads).toBe(order)
        if (order < 0) expect(headOf(a)).toBeLessThanOrEqual(headOf(b))
      }),
      { numRuns: 2000 },
    )
    expect(headOf(bytes('a'))).toBe(headOf(new Uint8Array([0x61, 0]))) // padding is zeros: the cell decides
    expect(headOf(new Uint8Array([1, 2, 3, 4, 5]))).toBe(0x01020304)
    expect(headOf(new Uint8Array([0xff, 0xff, 0xff, 0xff]))).toBe(0xffffffff)
  })

  it('a search by heads finds what a search by keys alone finds, with the prefix fitted, shrunk by inserts, or none', () => {
    // Keys over a small alphabet with zero bytes (many equal heads), most behind a shared prefix;
    // probes with and without it.
    const tail = fc.uint8Array({ maxLength: 6 }).map((k) => k.map((byte) => byte % 3))
    const shared = fc.uint8Array({ minLength: 0, maxLength: 7 }).map((k) => k.map((byte) => byte % 2))
    const withPrefix = (prefix: Uint8Array) => fc.oneof({ weight: 4, arbitrary: tail.map((t) => Buffer.concat([prefix, t])) }, { weight: 1, arbitrary: tail })
    const unique = (keys: Uint8Array[]): Uint8Array[] => [...new Map(keys.map((k) => [hex(k), k])).values()]
    fc.assert(
      fc.property(
        shared.chain((prefix) => fc.tuple(fc.array(withPrefix(prefix), { maxLength: 24 }), fc.array(withPrefix(prefix), { maxLength: 6 }), fc.array(withPrefix(prefix), { maxLength: 8 }))),
        ([initial, later, probes]) => {
          const first = unique(initial)
          const all = unique([...first, ...later])
          const build = (keyHeads: boolean, kind: typeof LEAF_KIND, init: (body: Uint8Array) => void, cellOf: (body: Uint8Array, at: number, key: Uint8Array, i: number) => void, lengthOf: (key: Uint8Array) => number): Uint8Array => {
            const body = new Uint8Array(BODY)
            init(body)
            const place = (key: Uint8Array, i: number) => {
              const index = kind === LEAF_KIND ? -(leafFind(body, key) + 1) : branchChildIndex(body, key)
              const at = insertCell(body, kind, index, lengthOf(key), key, 0, key.length, new Uint8Array(BODY))
              expect(at).toBeGreaterThan(0)
              cellOf(body, at, key, i)
            }
            const sortedFirst = [...first].sort((a, b) => Buffer.compare(a, b))
            sortedFirst.forEach(place)
            fitKeyHeadPrefix(body, kind)
            all.slice(first.length).forEach((key, i) => {
              if (kind === LEAF_KIND ? leafFind(body, key) < 0 : true) place(key, first.length + i)
            })
            return body
          }
          const leaf = (keyHeads: boolean) =>
            build(keyHeads, LEAF_KIND, (body) => initSlotted(body, keyHeads), (body, at, key) => writeLeafCell(body, at, key, 1, Uint8Array.of(7), 0), (key) => leafCellLength(key.length, 1, false))
          const withHeads = leaf(true)
          const withOffsets = leaf(false)
          expect(validateLeaf(withHeads)).toBeUndefined()
          expect(leafKeys(withHeads)).toEqual(leafKeys(withOffsets))
          for (const probe of [...probes, ...all]) expect(leafFind(withHeads, probe)).toBe(leafFind(withOffsets, probe))
          const branchKeys = unique(all)
          if (branchKeys.length === 0) return
          const branch = (keyHeads: boolean) =>
            build(keyHeads, BRANCH_KIND, (body) => initBranch(body, 1, keyHeads), (body, at, key, i) => writeBranchCell(body, at, key, 0, key.length, i + 2), (key) => branchCellLength(key.length))
          // Branches take each separator once: `build` inserts `all` past `first`, all unique.
          const headsBranch = branch(true)
          expect(validateBranch(headsBranch)).toBeUndefined()
          for (const probe of [...probes, ...all]) expect(branchChildIndex(headsBranch, probe)).toBe(branchChildIndex(branch(false), probe))
        },
      ),
      { numRuns: 400 },
    )
  })

  it('skip the bytes all keys of the page share, so that keys with a long common start keep distinct heads', () => {
    const keys = ['user:00017', 'user:00020', 'user:00023']
    const body = leafWith(keys)
    expect(keyHeadPrefix(body)).toBe(8) // "user:000": the second key set it, the third shares it
    body[KEY_HEAD_PREFIX_OFFSET] = 0
    fitKeyHeadPrefix(body, LEAF_KIND)
    expect(keyHeadPrefix(body)).toBe(8) // a page filled in order gets the same
    const headsStart = LEAF_HEADER_SIZE + 2 * 3
    expect(hex(body.subarray(headsStart, headsStart + 12))).toBe('31370000' + '32300000' + '32330000')
    expect(leafFind(body, bytes('user:00020'))).toBe(1)
    expect(leafFind(body, bytes('user:00021'))).toBe(-3)
    expect(leafFind(body, bytes('user:0001'))).toBe(-1) // shorter than the prefix, and below it
    expect(leafFind(body, bytes('user:1'))).toBe(-4) // past the prefix
    expect(leafFind(body, bytes('apple'))).toBe(-1)
    // A key that does not share the whole prefix shrinks it, and every head is rewritten.
    const key = bytes('user:1')
    const offset = insertCell(body, LEAF_KIND, 3, leafCellLength(key.length, 1, false), key, 0, key.length, new Uint8Array(BODY))
    writeLeafCell(body, offset, key, 1, bytes('v'), 0)
    expect(keyHeadPrefix(body)).toBe(5) // "user:"
    expect(validateLeaf(body)).toBeUndefined()
    expect(hex(body.subarray(LEAF_HEADER_SIZE + 2 * 4, LEAF_HEADER_SIZE + 2 * 4 + 16))).toBe('30303031' + '30303032' + '30303032' + '31000000')
    body[KEY_HEAD_PREFIX_OFFSET] = 6
    expect(validateLeaf(body)).toBe("key 3 does not start with the page's 6-byte key-head prefix")
    // Fewer than three shared bytes are not worth a branch search's read of the first key.
    const short = leafWith(['ab1', 'ab2', 'ab3'])
    fitKeyHeadPrefix(short, LEAF_KIND)
    expect(keyHeadPrefix(short)).toBe(0)
    expect(keyHeadPrefix(leafWith(['abc1', 'abc2']))).toBe(3)
  })

  it('validation reports a head that disagrees with its key, and a layout it does not know', () => {
    const body = leafWith(['apple', 'banana'])
    const headsStart = LEAF_HEADER_SIZE + 2 * cellCount(body)
    body[headsStart + 7]! ^= 0x01 // the last byte of the second head
    expect(validateLeaf(body)).toBe('key head 1 is 0x62616e60, its key has 0x62616e61')
    const unknown = leafWith(['a'])
    writeU16(unknown, SLOT_LAYOUT_OFFSET, 2)
    expect(slottedHeaderProblem(unknown, LEAF_HEADER_SIZE)).toBe('unknown slot layout 2')
  })

  it('lie after all the offsets, so that a cell offset is read alike in both layouts', () => {
    const keys = ['dd', 'a', 'ccc', 'b']
    const withHeads = leafWith(keys, keys, true)
    const withOffsets = leafWith(keys, keys, false)
    expect(leafKeys(withHeads)).toEqual(['a', 'b', 'ccc', 'dd'])
    for (let i = 0; i < 4; i++) expect(leafCellOffset(withHeads, i)).toBe(leafCellOffset(withOffsets, i))
    const headsStart = LEAF_HEADER_SIZE + 2 * 4
    expect(hex(withHeads.subarray(headsStart, headsStart + 16))).toBe('61000000' + '62000000' + '63636300' + '64640000')
    expect(readU16(withHeads, CELL_AREA_START_OFFSET) - (headsStart + 16)).toBe(BODY - usedBytes(withHeads) - LEAF_HEADER_SIZE)
  })
})

describe.each(LAYOUTS)('slotted pages (slotted-format.ts), $layout', ({ keyHeads }) => {
  it('inserts in slot order, removes, compacts, and refuses a cell that cannot fit', () => {
    const body = leafWith(['m', 'c', 'x', 'a'], undefined, keyHeads)
    expect(leafKeys(body)).toEqual(['a', 'c', 'm', 'x'])
    expect(validateLeaf(body)).toBeUndefined()
    const size = leafCellSize(body, leafCellOffset(body, 1))
    removeCell(body, LEAF_HEADER_SIZE, 1, size)
    expect(leafKeys(body)).toEqual(['a', 'm', 'x'])
    expect(readU16(body, FRAGMENTED_BYTES_OFFSET)).toBe(size)
    expect(validateLeaf(body)).toBeUndefined()
    compactCells(body, LEAF_HEADER_SIZE, leafCellSize, new Uint8Array(BODY))
    expect(readU16(body, FRAGMENTED_BYTES_OFFSET)).toBe(0)
    expect(leafKeys(body)).toEqual(['a', 'm', 'x'])
    expect(validateLeaf(body)).toBeUndefined()
    const huge = BODY - LEAF_HEADER_SIZE - usedBytes(body) // one byte too many once its slot is counted
    expect(insertCell(body, LEAF_KIND, 0, huge, bytes('b'), 0, 1, new Uint8Array(BODY))).toBe(-1)
    expect(leafKeys(body)).toEqual(['a', 'm', 'x'])
  })

  it('keeps its accounting through random inserts and removes, compacting when fragmented', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.string({ minLength: 1, maxLength: 20 })), { maxLength: 200 }), (ops) => {
        const body = new Uint8Array(BODY)
        const scratch = new Uint8Array(BODY)
        initSlotted(body, keyHeads)
        const model = new Set<string>()
        for (const [insert, text] of ops) {
          const key = bytes(text)
          const found = leafFind(body, key)
          if (insert && found < 0) {
            const offset = insertCell(body, LEAF_KIND, -(found + 1), leafCellLength(key.length, 3, false), key, 0, key.length, scratch)
            if (offset < 0) {
              expect(BODY - LEAF_HEADER_SIZE - usedBytes(body)).toBeLessThan(leafCellLength(key.length, 3, false) + slotSizeFor(keyHeads))
              continue
            }
            writeLeafCell(body, offset, key, 3, bytes('val'), 0)
            model.add(hex(key))
          } else if (!insert && found >= 0) {
            removeCell(body, LEAF_HEADER_SIZE, found, leafCellSize(body, leafCellOffset(body, found)))
            model.delete(hex(key))
          }
          expect(validateLeaf(body)).toBeUndefined()
        }
        expect(cellCount(body)).toBe(model.size)
        expect(leafKeys(body).map((k) => hex(bytes(k)))).toEqual([...model].sort())
      }),
      { numRuns: 50 },
    )
  })

  it('flags a header whose offsets leave the body', () => {
    const body = leafWith(['a', 'b'], undefined, keyHeads)
    expect(slottedHeaderProblem(body, LEAF_HEADER_SIZE)).toBeUndefined()
    writeU16(body, CELL_COUNT_OFFSET, 300)
    expect(slottedHeaderProblem(body, LEAF_HEADER_SIZE)).toMatch(/out of bounds/)
  })
})

describe.each(LAYOUTS)('leaf pages (leaf-format.ts), $layout', ({ keyHeads }) => {
  it('finds keys by binary search on the page bytes', () => {
    const body = leafWith(['b', 'd', 'f', 'ff'], undefined, keyHeads)
    expect(leafFind(body, bytes('d'))).toBe(1)
    expect(leafFind(body, bytes('a'))).toBe(-1)
    expect(leafFind(body, bytes('e'))).toBe(-3)
    expect(leafFind(body, bytes('fg'))).toBe(-5)
    expect(leafSeek(body, bytes('d'), true)).toBe(1)
    expect(leafSeek(body, bytes('d'), false)).toBe(2)
    expect(leafSeek(body, bytes('f'), false)).toBe(3)
    expect(leafSeek(body, bytes('z'), true)).toBe(4)
  })

  it('holds an empty key and an empty value', () => {
    const body = leafWith(['', 'a'], ['', 'x'], keyHeads)
    expect(leafFind(body, new Uint8Array())).toBe(0)
    expect(leafValueLength(body, leafCellOffset(body, 0))).toBe(0)
    expect(validateLeaf(body)).toBeUndefined()
  })

  it('stores an overflow reference in place of the value', () => {
    const body = new Uint8Array(BODY)
    initSlotted(body, keyHeads)
    const key = bytes('big')
    const offset = insertCell(body, LEAF_KIND, 0, leafCellLength(3, 100_000, true), key, 0, key.length, new Uint8Array(BODY))
    writeLeafCell(body, offset, key, 100_000, undefined, 4242)
    expect(leafIsOverflow(body, offset)).toBe(true)
    expect(leafValueLength(body, offset)).toBe(100_000)
    expect(leafOverflowPageId(body, offset)).toBe(4242)
    expect(leafCellSize(body, offset)).toBe(7 + 3 + 4)
    expect(leafValueStart(body, offset)).toBe(offset + 10)
    expect(validateLeaf(body)).toBeUndefined()
  })

  it('validation reports disorder, overlap, bad flags and bad accounting', () => {
    const unordered = leafWith(['a', 'b'], undefined, keyHeads)
    const first = leafCellOffset(unordered, 0)
    const second = leafCellOffset(unordered, 1)
    writeU16(unordered, LEAF_HEADER_SIZE, second)
    writeU16(unordered, LEAF_HEADER_SIZE + 2, first)
    if (keyHeads) {
      expect(validateLeaf(unordered)).toMatch(/key head 0/) // the heads stayed in order
      const heads = LEAF_HEADER_SIZE + 4
      unordered.copyWithin(heads + 8, heads, heads + 4)
      unordered.copyWithin(heads, heads + 4, heads + 8)
      unordered.copyWithin(heads + 4, heads + 8, heads + 12)
    }
    expect(validateLeaf(unordered)).toMatch(/ascending/)

    const overlapping = leafWith(['aa', 'bb'], undefined, keyHeads)
    writeU16(overlapping, LEAF_HEADER_SIZE + 2, leafCellOffset(overlapping, 0) + 1)
    expect(validateLeaf(overlapping)).toBeDefined()

    const flagged = leafWith(['a'], undefined, keyHeads)
    flagged[leafCellOffset(flagged, 0) + LEAF_CELL_FLAGS_OFFSET] = 0x80
    expect(validateLeaf(flagged)).toMatch(/flag/)

    const leaking = leafWith(['a'], undefined, keyHeads)
    writeU16(leaking, CELL_AREA_START_OFFSET, readU16(leaking, CELL_AREA_START_OFFSET) - 5)
    expect(validateLeaf(leaking)).toMatch(/accounting/)

    const runaway = leafWith(['a'], undefined, keyHeads)
    writeU32(runaway, leafCellOffset(runaway, 0) + 3, 10_000) // inline value length past the body
    expect(validateLeaf(runaway)).toMatch(/past the end/)
  })
})

describe.each(LAYOUTS)('branch pages (branch-format.ts), $layout', ({ keyHeads }) => {
  function branchWith(separators: string[], children: number[]): Uint8Array {
    const body = new Uint8Array(BODY)
    initBranch(body, children[0]!, keyHeads)
    separators.forEach((text, i) => {
      const key = bytes(text)
      const offset = insertCell(body, BRANCH_KIND, i, branchCellLength(key.length), key, 0, key.length, new Uint8Array(BODY))
      writeBranchCell(body, offset, key, 0, key.length, children[i + 1]!)
    })
    return body
  }

  it('routes a key to the child whose range holds it (separator <= key goes right)', () => {
    const body = branchWith(['d', 'm'], [10, 11, 12])
    expect(validateBranch(body)).toBeUndefined()
    expect(branchChildIndex(body, bytes('a'))).toBe(0)
    expect(branchChildIndex(body, bytes('d'))).toBe(1)
    expect(branchChildIndex(body, bytes('l'))).toBe(1)
    expect(branchChildIndex(body, bytes('m'))).toBe(2)
    expect(branchChildIndex(body, bytes('zz'))).toBe(2)
    expect([0, 1, 2].map((i) => branchChildAt(body, i))).toEqual([10, 11, 12])
    setBranchChildAt(body, 0, 20)
    setBranchChildAt(body, 2, 22)
    expect([0, 1, 2].map((i) => branchChildAt(body, i))).toEqual([20, 11, 22])
  })

  it('validation reports separators out of order', () => {
    expect(validateBranch(branchWith(['m', 'd'], [1, 2, 3]))).toMatch(/ascending/)
  })

  it('inserts and removes separators anywhere, keeping offsets and heads in step', () => {
    const body = branchWith(['b', 'f', 'k'], [1, 2, 3, 4])
    const key = bytes('d')
    const offset = insertCell(body, BRANCH_KIND, 1, branchCellLength(1), key, 0, 1, new Uint8Array(BODY))
    writeBranchCell(body, offset, key, 0, 1, 9)
    expect(validateBranch(body)).toBeUndefined()
    expect([0, 1, 2, 3, 4].map((i) => branchChildAt(body, i))).toEqual([1, 2, 9, 3, 4])
    expect(['a', 'c', 'e', 'g', 'z'].map((k) => branchChildIndex(body, bytes(k)))).toEqual([0, 1, 2, 3, 4])
    removeCell(body, BRANCH_HEADER_SIZE, 2, branchCellSize(body, readU16(body, BRANCH_HEADER_SIZE + 4)))
    expect(validateBranch(body)).toBeUndefined()
    expect(['a', 'c', 'e', 'g', 'z'].map((k) => branchChildIndex(body, bytes(k)))).toEqual([0, 1, 2, 2, 3])
  })
})

describe('overflow pages (overflow-format.ts)', () => {
  it('splits a value into full chunks and a final partial one', () => {
    const capacity = overflowCapacity(BODY)
    expect(overflowPageCount(capacity, BODY)).toBe(1)
    expect(overflowPageCount(capacity + 1, BODY)).toBe(2)
    const value = new Uint8Array(capacity + 10)
    const page = new Uint8Array(BODY)
    writeOverflowPage(page, 77, value, 0, capacity)
    expect(overflowPageProblem(page, 0, value.length)).toBeUndefined()
    expect(overflowPageProblem(page, 1, value.length)).toMatch(/expected 10/)
    writeOverflowPage(page, 0, value, capacity, 10)
    expect(overflowPageProblem(page, 1, value.length)).toBeUndefined()
    writeU32(page, OVERFLOW_NEXT_PAGE_OFFSET, 5)
    expect(overflowPageProblem(page, 1, value.length)).toMatch(/continues/)
    writeOverflowPage(page, 0, value, 0, capacity)
    expect(overflowPageProblem(page, 0, value.length)).toMatch(/ends after 1 of 2/)
  })
})

describe.each(LAYOUTS)('limits (limits.ts), $layout', ({ keyHeads }) => {
  it('lets at least four of the largest cells fit in a branch or leaf page', () => {
    for (const pageSize of [512, 1024, 4096, 16384, 65536]) {
      const limits = treeLimits(pageSize, keyHeads)
      const cell = maxCellSize(pageSize - 16, keyHeads)
      expect(4 * (cell + slotSizeFor(keyHeads))).toBeLessThanOrEqual(pageSize - 16 - BRANCH_HEADER_SIZE)
      expect(7 + limits.maxKeySize + 4).toBeLessThanOrEqual(cell)
      expect(limits.maxValueSize).toBe(64 * 1024 * 1024)
    }
    expect(treeLimits(4096, keyHeads).maxKeySize).toBe(keyHeads ? 988 : 992)
  })
})
