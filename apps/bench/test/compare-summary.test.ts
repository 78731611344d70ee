import { describe, expect, it } from 'vitest'
import { keyOf, randomIndexes, valueOf } from '../src/compare/keys.js'
import { formatTable, median, medianFigures } from '../src/compare/summary.js'
import { percentile } from '../src/compare/workloads.js'

describe('compare summary', () => {
  it('takes the median of odd and even counts, ignoring missing figures', () => {
    expect(median([3, 1, 2])).toBe(2)
    expect(median([4, 1, 3, 2])).toBe(2.5)
    expect(median([Number.NaN, 5])).toBe(5)
    expect(medianFigures([{ a: 1, b: 10 }, { a: 3 }, { a: 2, b: 30 }])).toEqual({ a: 2, b: 20 })
  })

  it('compares the contender with the best peer, per direction, against the goal issue 3 sets for the row', () => {
    const medians = {
      lmdb: { 'w1.opsPerSec': 100, 'w2.opsPerSec': 100, 'w2.p99Ms': 4, 'w6.totalMs': 6, 'w6.reopenMs': 2 },
      sqlite: { 'w1.opsPerSec': 200, 'w2.opsPerSec': 200, 'w2.p99Ms': 8, 'w6.totalMs': 40, 'w6.reopenMs': 4 },
      tinydb: { 'w1.opsPerSec': 230, 'w2.opsPerSec': 300, 'w2.p99Ms': 2, 'w6.totalMs': 9, 'w6.reopenMs': 3 },
    }
    const lines = formatTable(medians, ['tinydb', 'lmdb', 'sqlite'])
    expect(lines[0]).toBe('| workload | lmdb | sqlite | tinydb | tinydb ÷ best peer |')
    // Beats the best peer, but not by the 1.2× W1 asks for.
    expect(lines.find((line) => line.startsWith('| W1 awaited puts'))).toBe('| W1 awaited puts: ops/s | 100 | 200 | 230 | 1.15× ✗ (goal ≥ 1.2×) |')
    expect(lines.find((line) => line.startsWith('| W2 64 writers'))).toBe('| W2 64 writers: ops/s | 100 | 200 | 300 | 1.50× ✓ (goal ≥ 1.5×) |')
    // No goal on this row: the ratio is shown, unmarked.
    expect(lines.find((line) => line.startsWith('| W2 put p99'))).toBe('| W2 put p99: ms | 4.00 | 8.00 | 2.00 | 0.50× |')
    // W6 is marked as the issue defines it, close + reopen + first get; its parts are context.
    expect(lines.find((line) => line.startsWith('| W6 close + reopen'))).toBe('| W6 close + reopen + first get: ms | 6.00 | 40.00 | 9.00 | 1.50× ✗ (goal ≤ 1×) |')
    expect(lines.find((line) => line.startsWith('| W6 part: reopen'))).toBe('| W6 part: reopen + first get: ms | 2.00 | 4.00 | 3.00 | 1.50× |')
    expect(lines.find((line) => line.startsWith('| W4'))).toBe('| W4 random gets: ops/s | – | – | – | – |')
  })

  it('takes nearest-rank percentiles', () => {
    const samples = Float64Array.from({ length: 100 }, (_, index) => 100 - index)
    expect(percentile(samples, 0.5)).toBe(50)
    expect(percentile(samples, 0.99)).toBe(99)
  })

  it('makes distinct 16-byte keys, 128-byte values and in-range random indexes, deterministically', () => {
    const keys = new Set(Array.from({ length: 10_000 }, (_, index) => keyOf(index).toString('hex')))
    expect(keys.size).toBe(10_000)
    expect(keyOf(7)).toHaveLength(16)
    expect(valueOf(7)).toHaveLength(128)
    expect(valueOf(7).equals(valueOf(7))).toBe(true)
    expect(valueOf(7).equals(valueOf(8))).toBe(false)
    const indexes = randomIndexes(1000, 37, 1)
    expect(Math.max(...indexes)).toBeLessThan(37)
    expect(randomIndexes(10, 37, 1)).toEqual(indexes.subarray(0, 10))
  })
})
