import { performance } from 'node:perf_hooks'
import type { Db } from '@tinydb/engine'
import { KEY_SIZE, keyOf, randomIndexes, valueOf } from '../compare/keys.js'

/** Peak resident set size seen by `sample()`, and the process's own high-water mark. */
export class RssMeter {
  private peakBytes = 0

  sample(): void {
    const rss = process.memoryUsage.rss()
    if (rss > this.peakBytes) this.peakBytes = rss
  }

  get peakMb(): number {
    return this.peakBytes / 2 ** 20
  }
}

export interface LoadPhase {
  /** Keys in the store at the end of the phase. */
  readonly keys: number
  readonly opsPerSec: number
  readonly seconds: number
}

/**
 * Puts keys `[from, to)` (16-byte `keyOf`, 128-byte `valueOf`) in durable batches of `batchSize`,
 * one batch awaited at a time, as a bulk import would. Reports progress on stderr every ~5 s.
 */
export async function load(db: Db, from: number, to: number, batchSize: number, rss: RssMeter): Promise<LoadPhase> {
  const started = performance.now()
  let reported = started
  for (let at = from; at < to; at += batchSize) {
    const end = Math.min(at + batchSize, to)
    const batch = []
    for (let i = at; i < end; i++) batch.push({ type: 'put' as const, key: keyOf(i), value: valueOf(i) })
    await db.batch(batch)
    rss.sample()
    const now = performance.now()
    if (now - reported > 5000) {
      reported = now
      process.stderr.write(`  loaded ${end.toLocaleString('en-US')} keys, ${Math.round((end - from) / ((now - started) / 1000)).toLocaleString('en-US')} puts/s\n`)
    }
  }
  const seconds = (performance.now() - started) / 1000
  return { keys: to, opsPerSec: (to - from) / seconds, seconds }
}

export interface GetPhase {
  /** The gets read keys among the first `keys` written. */
  readonly keys: number
  /** The fastest of the timed passes. */
  readonly opsPerSec: number
  /** Every timed pass, in order. */
  readonly passOpsPerSec: readonly number[]
  /** Share of page reads served by the engine's cache, over the warm-up and the timed gets. */
  readonly cacheHitRatio: number
  /** Pages read from the file per get (cache misses), over the warm-up and the timed gets. */
  readonly pageReadsPerGet: number
}

/**
 * `passes` timed passes of `count` random point reads each, of keys among the first `keys` written
 * (all present), after an untimed warm-up of a tenth as many; every pass reads other keys. The
 * fastest pass is the figure: on a shared machine noise only ever slows a pass down, and the goal
 * compares two such figures taken minutes apart. The keys are made before the clock starts,
 * packed in one buffer, so the timed loop is the store's work only.
 *
 * `db.stats()` is read only before the warm-up and after the last pass: it walks the whole tree
 * (for `tree.depth`), which would fill the page cache with the walk's pages.
 */
export function randomGets(db: Db, keys: number, count: number, passes: number, seed: number, rss: RssMeter): GetPhase {
  const warmUp = Math.ceil(count / 10)
  const reads = warmUp + passes * count
  const keyAt = packedRandomKeys(reads, keys, seed)
  const before = db.stats().cache
  for (let i = 0; i < warmUp; i++) db.getSync(keyAt(i))
  const passOpsPerSec: number[] = []
  for (let pass = 0; pass < passes; pass++) {
    const from = warmUp + pass * count
    const started = performance.now()
    let found = 0
    for (let i = from; i < from + count; i++) if (db.getSync(keyAt(i)) !== undefined) found++
    passOpsPerSec.push(count / ((performance.now() - started) / 1000))
    if (found !== count) throw new Error(`scale: found ${found} of ${count} keys`)
  }
  rss.sample()
  const after = db.stats().cache
  const hits = after.hits - before.hits
  const misses = after.misses - before.misses
  return {
    keys,
    opsPerSec: Math.max(...passOpsPerSec),
    passOpsPerSec,
    cacheHitRatio: hits / Math.max(1, hits + misses),
    pageReadsPerGet: misses / reads,
  }
}

/**
 * The keys of `count` random indexes below `keys` (seeded), made up front and packed in one buffer,
 * so that a timed loop of reads does the store's work only: `keyAt(i)` is a view of the i-th key.
 */
export function packedRandomKeys(count: number, keys: number, seed: number): (i: number) => Uint8Array {
  const order = randomIndexes(count, keys, seed)
  const packed = Buffer.allocUnsafe(order.length * KEY_SIZE)
  for (let i = 0; i < order.length; i++) keyOf(order[i]!).copy(packed, i * KEY_SIZE)
  return (i) => packed.subarray(i * KEY_SIZE, (i + 1) * KEY_SIZE)
}
