import { mkdir, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { NodeVfs } from '@tinydb/vfs'
import type { StoreAdapter } from '../compare/adapter.js'
import { FLOOR_RECORD_SIZE } from '../compare/floor.js'
import { keyOf, valueOf } from '../compare/keys.js'
import { percentile } from '../compare/workloads.js'
import { FloorFile } from '../floor.js'
import { FLOOR, type SweepPoint } from './results.js'

/** How much each point of the sweep does: `ops` puts, or fewer once `seconds` have passed. */
export interface SweepBudget {
  readonly ops: number
  readonly seconds: number
}

/**
 * Durable puts from `writers` concurrent writers, each awaiting its own puts one after another (W2's
 * pattern), on a fresh store in `dir`. Writers take the next put from a shared counter until `ops`
 * are issued or the time is up, so a slow store cannot stretch the run; ops/s counts completed puts.
 */
export async function sweepPoint(adapter: StoreAdapter, dir: string, writers: number, budget: SweepBudget): Promise<SweepPoint> {
  const store = await adapter.open(dir)
  try {
    const latencies = new Float64Array(budget.ops)
    let next = 0
    const started = performance.now()
    const deadline = started + budget.seconds * 1000
    const writer = async (): Promise<void> => {
      while (next < budget.ops && performance.now() < deadline) {
        const index = next++
        const before = performance.now()
        await store.put(keyOf(index), valueOf(index))
        latencies[index] = performance.now() - before
      }
    }
    await Promise.all(Array.from({ length: writers }, writer))
    const elapsed = performance.now() - started
    const done = latencies.subarray(0, next)
    return { store: adapter.name, writers, ops: next, opsPerSec: next / (elapsed / 1000), p50Ms: percentile(done, 0.5), p99Ms: percentile(done, 0.99) }
  } finally {
    await store.close()
  }
}

/**
 * The floor of a point: what `writers` concurrent puts cost at the least if a store grouped them
 * perfectly — one write of `writers` W1 frames and one fdatasync per round, to a preallocated file.
 * Every put of a round completes together, so its latency is the round's.
 */
export async function sweepFloor(dir: string, writers: number, budget: SweepBudget): Promise<SweepPoint> {
  const vfs = new NodeVfs()
  const path = join(dir, 'floor')
  const floor = await FloorFile.open(vfs, path, 8 * 1024 * 1024)
  try {
    const round = new Uint8Array(FLOOR_RECORD_SIZE * writers).fill(0x61)
    const rounds = Math.max(1, Math.ceil(budget.ops / writers))
    const latencies = new Float64Array(rounds)
    const started = performance.now()
    const deadline = started + budget.seconds * 1000
    let done = 0
    while (done < rounds && (done === 0 || performance.now() < deadline)) {
      const before = performance.now()
      await floor.append(round)
      latencies[done++] = performance.now() - before
    }
    const elapsed = performance.now() - started
    const rows = latencies.subarray(0, done)
    const ops = done * writers
    return { store: FLOOR, writers, ops, opsPerSec: ops / (elapsed / 1000), p50Ms: percentile(rows, 0.5), p99Ms: percentile(rows, 0.99) }
  } finally {
    await floor.close()
    await vfs.unlink(path)
  }
}

/** Every point of the sweep for one store (or the floor when `adapter` is undefined), each in a fresh directory under `dir`. */
export async function sweep(adapter: StoreAdapter | undefined, dir: string, writerCounts: readonly number[], budget: SweepBudget): Promise<SweepPoint[]> {
  const points: SweepPoint[] = []
  for (const writers of writerCounts) {
    const pointDir = join(dir, `writers-${writers}`)
    await mkdir(pointDir, { recursive: true })
    try {
      points.push(adapter === undefined ? await sweepFloor(pointDir, writers, budget) : await sweepPoint(adapter, pointDir, writers, budget))
    } finally {
      await rm(pointDir, { recursive: true, force: true })
    }
  }
  return points
}
