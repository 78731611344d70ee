import { performance } from 'node:perf_hooks'
import type { Entry, StoreAdapter, StoreHandle } from './adapter.js'
import { keyOf, randomIndexes, valueOf } from './keys.js'

/** How much work each workload does. `FULL_COUNTS` are the issue's; `QUICK_COUNTS` prove the harness runs. */
export interface WorkloadCounts {
  /** W1: puts, each awaited before the next. */
  readonly w1Puts: number
  /** W2: puts spread over `w2Writers` writers, each awaiting its own puts one after another. */
  readonly w2Puts: number
  readonly w2Writers: number
  /** W3: puts written as durable batches of `w3BatchSize`. */
  readonly w3Puts: number
  readonly w3BatchSize: number
  /** W4: random point reads of keys written by W1–W3 (all present). */
  readonly w4Gets: number
}

export const FULL_COUNTS: WorkloadCounts = { w1Puts: 2000, w2Puts: 20_000, w2Writers: 64, w3Puts: 100_000, w3BatchSize: 1000, w4Gets: 200_000 }
export const QUICK_COUNTS: WorkloadCounts = { w1Puts: 40, w2Puts: 256, w2Writers: 64, w3Puts: 1000, w3BatchSize: 100, w4Gets: 1000 }

/** One process's figures, by metric id (see `METRICS` in summary.ts). */
export type Figures = Record<string, number>

/** The seed of W4's random order: fixed, so every store reads the same keys in the same order. */
const GET_SEED = 0x5eed

/**
 * Runs W1–W6 on a fresh store in `dir`, in that order, in this process: W1, W2 and W3 write
 * disjoint key sets (so W4 and W5 see all of them), W4 reads them in random order, W5 scans them all,
 * W6 closes the store, then times reopening it and reading one key. Checks what it reads, so an
 * adapter that loses writes fails loudly instead of looking fast.
 */
export async function runWorkloads(adapter: StoreAdapter, dir: string, counts: WorkloadCounts): Promise<Figures> {
  const figures: Figures = {}
  const total = counts.w1Puts + counts.w2Puts + counts.w3Puts
  let store = await adapter.open(dir)

  // W1: one durable put at a time.
  const w1 = new Float64Array(counts.w1Puts)
  let started = performance.now()
  for (let i = 0; i < counts.w1Puts; i++) {
    const key = keyOf(i)
    const value = valueOf(i)
    const before = performance.now()
    await store.put(key, value)
    w1[i] = performance.now() - before
  }
  figures['w1.opsPerSec'] = counts.w1Puts / ((performance.now() - started) / 1000)
  figures['w1.p50Ms'] = percentile(w1, 0.5)
  figures['w1.p90Ms'] = percentile(w1, 0.9)
  figures['w1.p99Ms'] = percentile(w1, 0.99)
  figures['w1.p999Ms'] = percentile(w1, 0.999)

  // W2: `w2Writers` writers, each with one put in flight at a time.
  const w2First = counts.w1Puts
  const w2 = new Float64Array(counts.w2Puts)
  const writer = async (first: number): Promise<void> => {
    for (let i = first; i < counts.w2Puts; i += counts.w2Writers) {
      const key = keyOf(w2First + i)
      const value = valueOf(w2First + i)
      const before = performance.now()
      await store.put(key, value)
      w2[i] = performance.now() - before
    }
  }
  started = performance.now()
  await Promise.all(Array.from({ length: counts.w2Writers }, (_, first) => writer(first)))
  figures['w2.opsPerSec'] = counts.w2Puts / ((performance.now() - started) / 1000)
  figures['w2.p50Ms'] = percentile(w2, 0.5)
  figures['w2.p90Ms'] = percentile(w2, 0.9)
  figures['w2.p99Ms'] = percentile(w2, 0.99)
  figures['w2.p999Ms'] = percentile(w2, 0.999)

  // W3: durable batches. They are built before the clock starts: building costs every store the same.
  const w3First = w2First + counts.w2Puts
  const batches: Entry[][] = []
  for (let at = 0; at < counts.w3Puts; at += counts.w3BatchSize) {
    const batch: Entry[] = []
    for (let i = at; i < Math.min(at + counts.w3BatchSize, counts.w3Puts); i++) batch.push([keyOf(w3First + i), valueOf(w3First + i)])
    batches.push(batch)
  }
  started = performance.now()
  for (const batch of batches) await store.putMany(batch)
  figures['w3.opsPerSec'] = counts.w3Puts / ((performance.now() - started) / 1000)
  batches.length = 0

  // W4: random point reads, warm (everything was just written). Keys are made up front.
  const order = randomIndexes(counts.w4Gets, total, GET_SEED)
  const keys = Array.from(order, (index) => keyOf(index))
  await readAll(store, keys.slice(0, Math.min(keys.length, 1000))) // warm-up, untimed
  started = performance.now()
  const found = await readAll(store, keys)
  figures['w4.opsPerSec'] = counts.w4Gets / ((performance.now() - started) / 1000)
  if (found !== keys.length) throw new Error(`${adapter.name}: W4 found ${found} of ${keys.length} keys`)

  // W5: ordered scan of everything.
  started = performance.now()
  const scanned = await count(store.scan())
  figures['w5.keysPerSec'] = scanned / ((performance.now() - started) / 1000)
  if (scanned !== total) throw new Error(`${adapter.name}: W5 scanned ${scanned} entries, expected ${total}`)

  // W6: close, then reopen and read one key — the one figure, also kept as its two parts.
  started = performance.now()
  await store.close()
  figures['w6.closeMs'] = performance.now() - started
  started = performance.now()
  store = await adapter.open(dir)
  const first = await store.get(keyOf(0))
  figures['w6.reopenMs'] = performance.now() - started
  figures['w6.totalMs'] = figures['w6.closeMs'] + figures['w6.reopenMs']
  if (first === undefined || !Buffer.from(first).equals(valueOf(0))) throw new Error(`${adapter.name}: W6 read back the wrong value`)
  await store.close()

  figures['rss.peakMb'] = process.resourceUsage().maxRSS / 1024
  return figures
}

/** Reads every key; awaits only when the adapter returned a promise (synchronous stores stay synchronous). */
export async function readAll(store: StoreHandle, keys: readonly Uint8Array[]): Promise<number> {
  let found = 0
  for (const key of keys) {
    let value = store.get(key)
    if (value instanceof Promise) value = await value
    if (value !== undefined) found++
  }
  return found
}

async function count(entries: Iterable<unknown> | AsyncIterable<unknown>): Promise<number> {
  let seen = 0
  if (Symbol.asyncIterator in entries) {
    for await (const _ of entries) seen++
  } else {
    for (const _ of entries) seen++
  }
  return seen
}

/** The `fraction` percentile (nearest rank) of `samples`, in their unit. */
export function percentile(samples: Float64Array, fraction: number): number {
  if (samples.length === 0) return Number.NaN
  const sorted = Float64Array.from(samples).sort()
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(fraction * sorted.length) - 1))] as number
}
