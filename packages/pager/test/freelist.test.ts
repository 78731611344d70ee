import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FreePages } from '../src/freelist.js'
import type { LoadedFreeList } from '../src/freelist.js'

type Operation = { readonly kind: 'add'; readonly id: number } | { readonly kind: 'take' } | { readonly kind: 'has'; readonly id: number }

/**
 * Applies `operations` to `free` and to `model` (a plain set: what a sorted set would do), and
 * returns both transcripts, which must be equal.
 */
function transcripts(free: FreePages, model: Set<number>, operations: readonly Operation[]): { actual: string[]; expected: string[] } {
  const actual: string[] = [`size ${free.size}`]
  const expected: string[] = [`size ${model.size}`]
  for (const op of operations) {
    if (op.kind === 'add') {
      let outcome = 'added'
      try {
        free.add(op.id)
      } catch (error) {
        outcome = error instanceof RangeError ? 'refused' : String(error)
      }
      actual.push(`add ${op.id}: ${outcome}`)
      expected.push(`add ${op.id}: ${model.has(op.id) ? 'refused' : 'added'}`)
      model.add(op.id)
    } else if (op.kind === 'take') {
      const lowest = model.size === 0 ? undefined : Math.min(...model)
      if (lowest !== undefined) model.delete(lowest)
      actual.push(`take ${free.takeLowest()}`)
      expected.push(`take ${lowest}`)
    } else {
      actual.push(`has ${op.id} ${free.has(op.id)}`)
      expected.push(`has ${op.id} ${model.has(op.id)}`)
    }
    actual.push(`size ${free.size}`)
    expected.push(`size ${model.size}`)
  }
  return { actual, expected }
}

describe('FreePages', () => {
  it('hands out the lowest free page first, like a sorted set (property, seeded)', () => {
    const operation = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), id: fc.integer({ min: 2, max: 200 }) }),
      fc.record({ kind: fc.constant('take' as const) }),
    )
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 300 }), (operations) => {
        const free = new FreePages()
        const model = new Set<number>()
        const { actual, expected } = transcripts(free, model, operations)
        expect(actual).toEqual(expected)
        expect(free.toArray()).toEqual([...model].sort((a, b) => a - b))
        const membership = Array.from({ length: 202 }, (_, id) => free.has(id) === model.has(id))
        expect(membership.every(Boolean)).toBe(true)
      }),
      { seed: 1717, numRuns: 200 },
    )
  })

  it('is built from a list in one pass, grows past its first bitmap, and refuses a double free (seed 4242)', () => {
    // Page ids spread from 2 to ~200k: the bitmap starts at 2048 ids and must grow, and the
    // lowest-first scan must skip long runs of empty words.
    let state = 4242
    const next = (): number => (state = (Math.imul(state, 1103515245) + 12345) >>> 0)
    const ids = new Set<number>()
    while (ids.size < 5000) ids.add(2 + (next() % 200_000))
    const shuffled = [...ids]
    const free = new FreePages(shuffled.slice(0, 2500))
    for (const id of shuffled.slice(2500)) free.add(id)
    const ascending = [...ids].sort((a, b) => a - b)
    expect(free.size).toBe(5000)
    expect(free.toArray()).toEqual(ascending)
    expect(() => free.add(ascending[100]!)).toThrow(RangeError)
    expect(() => new FreePages([7, 9, 7])).toThrow(RangeError)
    const taken: number[] = []
    for (let i = 0; i < 10; i++) taken.push(free.takeLowest()!)
    expect(taken).toEqual(ascending.slice(0, 10))
    free.add(1)
    expect(free.takeLowest()).toBe(1)
    expect(free.takeLowest()).toBe(ascending[10])
    expect([free.has(ascending[10]!), free.has(ascending[11]!), free.has(300_000)]).toEqual([false, true, false])
  })

  const loaded = (ids: readonly number[]): LoadedFreeList => ({
    ids: Uint32Array.from(ids),
    duplicateAt: (index) => new Error(`duplicate at ${index}`),
  })

  it('starts from a loaded list like a sorted set built from it, merging pages freed later (property, seeded)', () => {
    const operation = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), id: fc.integer({ min: 2, max: 300 }) }),
      fc.record({ kind: fc.constant('take' as const) }),
      fc.record({ kind: fc.constant('has' as const), id: fc.integer({ min: 0, max: 302 }) }),
    )
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 2, max: 300 }), { maxLength: 120 }), fc.array(operation, { maxLength: 300 }), (listed, operations) => {
        const free = new FreePages([], loaded([...listed].sort((a, b) => a - b)))
        const model = new Set(listed)
        const { actual, expected } = transcripts(free, model, operations)
        expect(actual).toEqual(expected)
        expect(free.toArray()).toEqual([...model].sort((a, b) => a - b))
      }),
      { seed: 2024, numRuns: 300 },
    )
  })

  it('refuses to hand out or list a page the loaded list repeats, changing nothing', () => {
    const free = new FreePages([], loaded([3, 5, 5, 9]))
    expect([free.size, free.has(5), free.takeLowest()]).toEqual([4, true, 3])
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(() => free.takeLowest()).toThrow('duplicate at 2')
      expect(() => free.toArray()).toThrow('duplicate at 2')
    }
    expect([free.size, free.has(5), free.has(3)]).toEqual([3, true, false])
    // A repeat further on is found by toArray before takeLowest reaches it.
    expect(() => new FreePages([], loaded([2, 4, 8, 8])).toArray()).toThrow('duplicate at 3')
    const later = new FreePages([], loaded([2, 4, 8, 8]))
    expect([later.takeLowest(), later.takeLowest()]).toEqual([2, 4])
    expect(() => later.takeLowest()).toThrow('duplicate at 3')
  })
})
