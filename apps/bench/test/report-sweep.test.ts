import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { StoreAdapter, StoreHandle } from '../src/compare/adapter.ts'
import { sweep } from '../src/report/sweep.ts'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tinydb-sweep-test-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

/** An in-memory store whose puts complete on a later turn, recording how many were in flight at once. */
function countingAdapter(): { adapter: StoreAdapter; stats: { opens: number; puts: number; maxInFlight: number; keys: Set<string> } } {
  const stats = { opens: 0, puts: 0, maxInFlight: 0, keys: new Set<string>() }
  let inFlight = 0
  const handle: StoreHandle = {
    async put(key) {
      inFlight++
      stats.maxInFlight = Math.max(stats.maxInFlight, inFlight)
      await new Promise((resolve) => setImmediate(resolve))
      inFlight--
      stats.puts++
      stats.keys.add(Buffer.from(key).toString('hex'))
    },
    async putMany() {},
    get: () => undefined,
    scan: () => [],
    async close() {},
  }
  return {
    stats,
    adapter: {
      name: 'counting',
      describe: 'test double',
      async open() {
        stats.opens++
        return handle
      },
    },
  }
}

// A budget of seconds no run reaches: the op count alone ends every point, so nothing depends on timing.
const BUDGET = { ops: 600, seconds: 600 }

describe('sweep', () => {
  it('runs each writer count on a fresh store with that many puts in flight, all of the budget, distinct keys', async () => {
    const writers = [1, 4, 16, 64, 256]
    const points = []
    const seen: number[] = []
    for (const count of writers) {
      const { adapter, stats } = countingAdapter()
      points.push(...(await sweep(adapter, dir, [count], BUDGET)))
      expect(stats.opens).toBe(1)
      expect(stats.puts).toBe(BUDGET.ops)
      expect(stats.keys.size).toBe(BUDGET.ops)
      seen.push(stats.maxInFlight)
    }
    expect(seen).toEqual(writers)
    expect(points.map((point) => [point.store, point.writers, point.ops])).toEqual(writers.map((count) => ['counting', count, BUDGET.ops]))
    for (const point of points) {
      expect(point.opsPerSec).toBeGreaterThan(0)
      expect(point.p99Ms).toBeGreaterThanOrEqual(point.p50Ms)
    }
    expect(await readdir(dir)).toEqual([]) // every point's directory is removed
  })

  it('measures the floor as rounds of N frames + fdatasync, one point per writer count', async () => {
    const points = await sweep(undefined, dir, [1, 16, 256], { ops: 512, seconds: 600 })
    // Whole rounds: at least the budget, less than one round more.
    expect(points.map((point) => [point.store, point.writers, point.ops])).toEqual([
      ['floor', 1, 512],
      ['floor', 16, 512],
      ['floor', 256, 512],
    ])
    for (const point of points) expect(point.opsPerSec).toBeGreaterThan(0)
    expect(await readdir(dir)).toEqual([])
  })
})
