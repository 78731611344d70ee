import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { readU16, writeU16, writeU32, zeroBytes } from '../src/bytes.js'
import {
  BRANCH_HEADER_SIZE,
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
  cellCount,
  compactCells,
  initSlotted,
  insertCell,
  removeCell,
  slottedHeaderProblem,
  usedBytes,
} from '../src/slotted-format.js'
import { bytes, hex } from './helpers.js'

const BODY = 496 // a 512-byte page under a 16-byte pager header

function leafWith(keys: string[], values: string[] = keys): Uint8Array {
  const body = new Uint8Array(BODY)
  const scratch = new Uint8Array(BODY)
  initSlotted(body)
  const sorted = keys.map((k, i) => [bytes(k), bytes(values[i]!)] as const).sort((a, b) => compareKeys(a[0], b[0]))
  for (const [key, value] of sorted) {
    const offset = insertCell(body, LEAF_HEADER_SIZE, cellCount(body), leafCellLength(key.length, value.length, false), leafCellSize, scratch)
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

describe('slotted pages (slotted-format.ts)', () => {
  it('inserts in slot order, removes, compacts, and refuses a cell that cannot fit', () => {
    const body = leafWith(['m', 'c', 'x', 'a'])
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
    expect(insertCell(body, LEAF_HEADER_SIZE, 0, huge, leafCellSize, new Uint8Array(BODY))).toBe(-1)
    expect(leafKeys(body)).toEqual(['a', 'm', 'x'])
  })

  it('keeps its accounting through random inserts and removes, compacting when fragmented', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.string({ minLength: 1, maxLength: 20 })), { maxLength: 200 }), (ops) => {
        const body = new Uint8Array(BODY)
        const scratch = new Uint8Array(BODY)
        initSlotted(body)
        const model = new Set<string>()
        for (const [insert, text] of ops) {
          const key = bytes(text)
          const found = leafFind(body, key)
          if (insert && found < 0) {
            const offset = insertCell(body, LEAF_HEADER_SIZE, -(found + 1), leafCellLength(key.length, 3, false), leafCellSize, scratch)
            if (offset < 0) {
              expect(BODY - LEAF_HEADER_SIZE - usedBytes(body)).toBeLessThan(leafCellLength(key.length, 3, false) + 2)
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
      }),
      { numRuns: 50 },
    )
  })

  it('flags a header whose offsets leave the body', () => {
    const body = leafWith(['a', 'b'])
    expect(slottedHeaderProblem(body, LEAF_HEADER_SIZE)).toBeUndefined()
    writeU16(body, CELL_COUNT_OFFSET, 300)
    expect(slottedHeaderProblem(body, LEAF_HEADER_SIZE)).toMatch(/out of bounds/)
  })
})

describe('leaf pages (leaf-format.ts)', () => {
  it('finds keys by binary search on the page bytes', () => {
    const body = leafWith(['b', 'd', 'f', 'ff'])
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
    const body = leafWith(['', 'a'], ['', 'x'])
    expect(leafFind(body, new Uint8Array())).toBe(0)
    expect(leafValueLength(body, leafCellOffset(body, 0))).toBe(0)
    expect(validateLeaf(body)).toBeUndefined()
  })

  it('stores an overflow reference in place of the value', () => {
    const body = new Uint8Array(BODY)
    initSlotted(body)
    const key = bytes('big')
    const offset = insertCell(body, LEAF_HEADER_SIZE, 0, leafCellLength(3, 100_000, true), leafCellSize, new Uint8Array(BODY))
    writeLeafCell(body, offset, key, 100_000, undefined, 4242)
    expect(leafIsOverflow(body, offset)).toBe(true)
    expect(leafValueLength(body, offset)).toBe(100_000)
    expect(leafOverflowPageId(body, offset)).toBe(4242)
    expect(leafCellSize(body, offset)).toBe(7 + 3 + 4)
    expect(leafValueStart(body, offset)).toBe(offset + 10)
    expect(validateLeaf(body)).toBeUndefined()
  })

  it('validation reports disorder, overlap, bad flags and bad accounting', () => {
    const unordered = leafWith(['a', 'b'])
    const first = leafCellOffset(unordered, 0)
    const second = leafCellOffset(unordered, 1)
    writeU16(unordered, LEAF_HEADER_SIZE, second)
    writeU16(unordered, LEAF_HEADER_SIZE + 2, first)
    expect(validateLeaf(unordered)).toMatch(/ascending/)

    const overlapping = leafWith(['aa', 'bb'])
    writeU16(overlapping, LEAF_HEADER_SIZE + 2, leafCellOffset(overlapping, 0) + 1)
    expect(validateLeaf(overlapping)).toBeDefined()

    const flagged = leafWith(['a'])
    flagged[leafCellOffset(flagged, 0) + LEAF_CELL_FLAGS_OFFSET] = 0x80
    expect(validateLeaf(flagged)).toMatch(/flag/)

    const leaking = leafWith(['a'])
    writeU16(leaking, CELL_AREA_START_OFFSET, readU16(leaking, CELL_AREA_START_OFFSET) - 5)
    expect(validateLeaf(leaking)).toMatch(/accounting/)

    const runaway = leafWith(['a'])
    writeU32(runaway, leafCellOffset(runaway, 0) + 3, 10_000) // inline value length past the body
    expect(validateLeaf(runaway)).toMatch(/past the end/)
  })
})

describe('branch pages (branch-format.ts)', () => {
  function branchWith(separators: string[], children: number[]): Uint8Array {
    const body = new Uint8Array(BODY)
    initBranch(body, children[0]!)
    separators.forEach((text, i) => {
      const key = bytes(text)
      const offset = insertCell(body, BRANCH_HEADER_SIZE, i, branchCellLength(key.length), branchCellSize, new Uint8Array(BODY))
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

describe('limits (limits.ts)', () => {
  it('lets at least four of the largest cells fit in a branch or leaf page', () => {
    for (const pageSize of [512, 1024, 4096, 16384, 65536]) {
      const limits = treeLimits(pageSize)
      const cell = maxCellSize(pageSize - 16)
      expect(4 * (cell + 2)).toBeLessThanOrEqual(pageSize - 16 - BRANCH_HEADER_SIZE)
      expect(7 + limits.maxKeySize + 4).toBeLessThanOrEqual(cell)
      expect(limits.maxValueSize).toBe(64 * 1024 * 1024)
    }
    expect(treeLimits(4096).maxKeySize).toBeGreaterThan(900)
    expect(treeLimits(4096).maxKeySize).toBeLessThan(1024)
  })
})
