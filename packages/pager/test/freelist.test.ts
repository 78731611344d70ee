import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { FreePages } from '../src/freelist.js'

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
        const actual: string[] = []
        const expected: string[] = []
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
          } else {
            const lowest = model.size === 0 ? undefined : Math.min(...model)
            if (lowest !== undefined) model.delete(lowest)
            actual.push(`take ${free.takeLowest()}`)
            expected.push(`take ${lowest}`)
          }
          actual.push(`size ${free.size}`)
          expected.push(`size ${model.size}`)
        }
        expect(actual).toEqual(expected)
        expect(free.toArray().sort((a, b) => a - b)).toEqual([...model].sort((a, b) => a - b))
        const membership = Array.from({ length: 202 }, (_, id) => free.has(id) === model.has(id))
        expect(membership.every(Boolean)).toBe(true)
      }),
      { seed: 1717, numRuns: 200 },
    )
  })
})
