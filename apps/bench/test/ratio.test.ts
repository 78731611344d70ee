import { describe, expect, it } from 'vitest'
import { formatComparisons, formatDuration, ratio } from '../src/ratio.js'

describe('ratio', () => {
  it('divides the benchmark time by the floor time', () => {
    expect(ratio({ name: 'a', floor: 'f', nanoseconds: 3e6, floorNanoseconds: 2e6, opsPerIteration: 1 })).toBe(1.5)
  })
})

describe('formatDuration', () => {
  it('picks ns, µs or ms', () => {
    expect(formatDuration(12.34)).toBe('12.3 ns')
    expect(formatDuration(4_560)).toBe('4.56 µs')
    expect(formatDuration(2_500_000)).toBe('2.50 ms')
  })
})

describe('formatComparisons', () => {
  it('prints one aligned line per comparison with the per-operation time', () => {
    const lines = formatComparisons([
      { name: 'wal.append, 1 writer', floor: 'floor: 1 frame', nanoseconds: 2e6, floorNanoseconds: 1e6, opsPerIteration: 1 },
      { name: 'wal.append, 64', floor: 'floor: 64 frames', nanoseconds: 6.4e6, floorNanoseconds: 3.2e6, opsPerIteration: 64 },
    ])
    expect(lines).toEqual([
      'wal.append, 1 writer     2.00 × floor  (2.00 ms/op; floor: 1 frame = 1.00 ms)',
      'wal.append, 64           2.00 × floor  (100.00 µs/op; floor: 64 frames = 3.20 ms)',
    ])
  })
})
