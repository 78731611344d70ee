import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { NodeVfs } from '@tinydb/vfs'
import { FloorFile } from '../floor.js'
import type { Figures } from './workloads.js'
import { percentile } from './workloads.js'

/**
 * The log frame of one W1 put as TinyDB writes it: a 158-byte record (14-byte batch header, 16-byte
 * key, 128-byte value; @tinydb/recovery FORMAT.md) in a frame with a 20-byte header, padded to 8
 * bytes (@tinydb/wal FORMAT.md). Any store's single durable put writes at least this much.
 */
export const FLOOR_RECORD_SIZE = Math.ceil((20 + 14 + 16 + 128) / 8) * 8
const CAPACITY = 8 * 1024 * 1024

/**
 * The raw floor of W1 on this disk: `ops` appends of one frame to a file preallocated with synced
 * zeros, each followed by fdatasync, awaited one at a time — what a single durable put costs at the
 * least with node:fs (one write and one fdatasync through the thread pool).
 */
export async function measureFloor(dir: string, ops: number): Promise<Figures> {
  const vfs = new NodeVfs()
  const path = join(dir, 'floor')
  const floor = await FloorFile.open(vfs, path, CAPACITY)
  try {
    const frame = new Uint8Array(FLOOR_RECORD_SIZE).fill(0x61)
    const latencies = new Float64Array(ops)
    const started = performance.now()
    for (let i = 0; i < ops; i++) {
      const before = performance.now()
      await floor.append(frame)
      latencies[i] = performance.now() - before
    }
    const elapsed = performance.now() - started
    return {
      'floor.opsPerSec': ops / (elapsed / 1000),
      'floor.p50Ms': percentile(latencies, 0.5),
      'floor.p90Ms': percentile(latencies, 0.9),
      'floor.p99Ms': percentile(latencies, 0.99),
      'floor.p999Ms': percentile(latencies, 0.999),
      'rss.peakMb': process.resourceUsage().maxRSS / 1024,
    }
  } finally {
    await floor.close()
    await vfs.unlink(path)
  }
}
