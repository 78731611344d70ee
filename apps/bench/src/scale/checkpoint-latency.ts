import { mkdtemp, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { open, type OpenOptions } from '@tinydb/engine'
import { keyOf, randomIndexes, valueOf } from '../compare/keys.js'
import { percentile } from '../compare/workloads.js'

/** Goal 4 of issue 3: W2's tail latency with checkpoints running in the background vs with none. */
export interface LatencyVariant {
  readonly name: string
  readonly describe: string
  readonly options: OpenOptions
}

const GiB = 2 ** 30

export const LATENCY_VARIANTS: readonly LatencyVariant[] = [
  {
    name: 'no checkpoints',
    describe: 'checkpointThreshold and cacheSize 1 GiB: nothing starts a checkpoint during the run',
    options: { checkpointThreshold: GiB, cacheSize: GiB },
  },
  {
    name: 'checkpoints',
    describe: 'checkpointThreshold 512 KiB (cacheSize 1 GiB): a checkpoint starts whenever 512 KiB of log is past the last one',
    options: { checkpointThreshold: 512 * 1024, cacheSize: GiB },
  },
]

export interface LatencyFigures {
  readonly variant: string
  readonly opsPerSec: number
  readonly p50Ms: number
  readonly p99Ms: number
  readonly p999Ms: number
  /** Checkpoints completed during the timed W2 run. */
  readonly checkpoints: number
}

export interface LatencyCounts {
  /** Keys loaded (in batches of 1000, then checkpointed) before W2 starts, so checkpoints write a real tree. */
  readonly preload: number
  readonly puts: number
  readonly writers: number
}

/**
 * One W2 run on a fresh store in a fresh directory under `root`: `preload` keys in batches, one
 * checkpoint, then `puts` durable puts of random existing keys (overwrites, so every put dirties a
 * leaf wherever it is) from `writers` concurrent writers, each awaiting its own puts.
 */
export async function measureLatency(root: string, variant: LatencyVariant, counts: LatencyCounts, seed: number): Promise<LatencyFigures> {
  const dir = await mkdtemp(join(root, 'latency-'))
  try {
    const db = await open(dir, variant.options)
    for (let at = 0; at < counts.preload; at += 1000) {
      const batch = []
      for (let i = at; i < Math.min(at + 1000, counts.preload); i++) batch.push({ type: 'put' as const, key: keyOf(i), value: valueOf(i) })
      await db.batch(batch)
    }
    await db.checkpoint()
    const targets = randomIndexes(counts.puts, counts.preload, seed)
    const latencies = new Float64Array(counts.puts)
    const before = db.stats().checkpoints.completed
    const writer = async (first: number): Promise<void> => {
      for (let i = first; i < counts.puts; i += counts.writers) {
        const index = targets[i]!
        const started = performance.now()
        await db.put(keyOf(index), valueOf(index + 1))
        latencies[i] = performance.now() - started
      }
    }
    const started = performance.now()
    await Promise.all(Array.from({ length: counts.writers }, (_, first) => writer(first)))
    const seconds = (performance.now() - started) / 1000
    const checkpoints = db.stats().checkpoints.completed - before
    await db.close()
    return {
      variant: variant.name,
      opsPerSec: counts.puts / seconds,
      p50Ms: percentile(latencies, 0.5),
      p99Ms: percentile(latencies, 0.99),
      p999Ms: percentile(latencies, 0.999),
      checkpoints,
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}
