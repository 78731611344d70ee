import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { PageIdMap } from '../src/page-id-map.js'

type Operation =
  | { readonly kind: 'set'; readonly id: number; readonly value: number }
  | { readonly kind: 'delete'; readonly id: number }
  | { readonly kind: 'get'; readonly id: number }
  | { readonly kind: 'clear' }

describe('PageIdMap', () => {
  // Ids from a small range collide often, and runs of neighbours (what pages are) cluster: both
  // exercise long probe runs and backward-shift deletes that wrap around the table's end.
  const id = fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 0xffff_fffe }))
  const operation: fc.Arbitrary<Operation> = fc.oneof(
    { weight: 6, arbitrary: fc.record({ kind: fc.constant('set' as const), id, value: fc.nat() }) },
    { weight: 4, arbitrary: fc.record({ kind: fc.constant('delete' as const), id }) },
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('get' as const), id }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'clear' as const }) },
  )

  it('behaves like a Map of numbers, through growth, deletes and clears (property, seed 8080)', () => {
    fc.assert(
      fc.property(fc.array(operation, { maxLength: 600 }), (operations) => {
        const map = new PageIdMap<number>()
        const model = new Map<number, number>()
        for (const op of operations) {
          if (op.kind === 'set') {
            map.set(op.id, op.value)
            model.set(op.id, op.value)
          } else if (op.kind === 'delete') {
            expect(map.delete(op.id)).toBe(model.delete(op.id))
          } else if (op.kind === 'get') {
            expect(map.get(op.id)).toBe(model.get(op.id))
            expect(map.has(op.id)).toBe(model.has(op.id))
          } else {
            map.clear()
            model.clear()
          }
          expect(map.size).toBe(model.size)
        }
        for (const [key, value] of model) expect(map.get(key)).toBe(value)
        const values: number[] = []
        map.forEachValue((value) => values.push(value))
        expect(values.sort((a, b) => a - b)).toEqual([...model.values()].sort((a, b) => a - b))
      }),
      { seed: 8080, numRuns: 300 },
    )
  })

  it('finds every survivor after deleting most of a dense run of ids (seed 77)', () => {
    const map = new PageIdMap<number>()
    for (let pageId = 2; pageId < 20_002; pageId++) map.set(pageId, pageId * 3)
    let state = 77
    const deleted = new Set<number>()
    while (deleted.size < 15_000) {
      state = (Math.imul(state, 1_103_515_245) + 12_345) >>> 0
      const pageId = 2 + (state % 20_000)
      if (!deleted.has(pageId)) expect(map.delete(pageId)).toBe(true)
      deleted.add(pageId)
    }
    expect(map.size).toBe(5_000)
    for (let pageId = 2; pageId < 20_002; pageId++) expect(map.get(pageId)).toBe(deleted.has(pageId) ? undefined : pageId * 3)
  })
})
