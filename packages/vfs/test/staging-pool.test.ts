import { describe, expect, it } from 'vitest'
import { QUEUED } from '../src/durable-protocol.js'
import { StagingPool } from '../src/staging-pool.js'

describe('StagingPool', () => {
  it('hands out at least the bytes asked for, the state word reading QUEUED', () => {
    const pool = new StagingPool()
    const memory = pool.take(100_000)
    expect(memory.byteLength).toBeGreaterThanOrEqual(100_000)
    expect(new Int32Array(memory, 0, 1)[0]).toBe(QUEUED)
  })

  it('reuses the smallest memory that fits, with its state word reset, and keeps at most four', () => {
    const pool = new StagingPool()
    const [small, large] = [pool.take(10_000), pool.take(200_000)]
    new Int32Array(small, 0, 1)[0] = 3
    pool.give(large)
    pool.give(small)
    const reused = pool.take(9_000)
    expect(reused).toBe(small)
    expect(new Int32Array(reused, 0, 1)[0]).toBe(QUEUED)
    expect(pool.take(150_000)).toBe(large)
    expect(pool.take(1_000_000)).not.toBe(large) // none fits: a new one
    for (let round = 0; round < 5; round++) pool.give(pool.take(1_000_000)) // one sequence after another: one memory
    expect(pool.size).toBe(1)
    const many = [1, 2, 3, 4, 5].map((step) => pool.take(step * 300_000))
    for (const memory of many) pool.give(memory)
    expect(pool.size).toBe(4)
    // The smallest went: every one left holds the larger requests.
    expect(pool.take(500_000).byteLength).toBeGreaterThanOrEqual(500_000)
  })
})
