import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { NodeVfs } from '@tinydb/vfs'
import type { Vfs } from '@tinydb/vfs'
import { summarizeLatencies } from './latency.js'
import type { LatencySummary } from './latency.js'

/** At most this many floor appends: enough for stable percentiles, short enough to add little to a bench. */
export const MAX_FLOOR_OPS = 2000

const ZERO_CHUNK = 1024 * 1024

/**
 * The physical floor of a durable write on this disk: `ops` appends of `recordSize` bytes, each
 * followed by fdatasync, to a file that was filled with zeros and synced beforehand. Preallocating
 * with real zeros (not a sparse `truncate`) means each fdatasync flushes only data, never block
 * allocation or file size metadata, so no log can do fewer durable writes per operation than this.
 * The file lives in `dir` (same file system as the store) and is removed afterwards. `onAppend`
 * (for a progress bar) is called after each timed append, outside its measurement.
 */
export async function measureFloor(
  dir: string,
  recordSize: number,
  ops: number,
  vfs: Vfs = new NodeVfs(),
  onAppend?: (done: number) => void,
): Promise<LatencySummary> {
  const path = join(dir, `floor-${process.pid}.tmp`)
  const file = await vfs.open(path, { create: true })
  try {
    const length = recordSize * ops
    const zeros = new Uint8Array(Math.min(ZERO_CHUNK, Math.max(length, 1)))
    for (let offset = 0; offset < length; offset += zeros.length) {
      await file.write(zeros.subarray(0, Math.min(zeros.length, length - offset)), offset)
    }
    await file.sync()

    const record = new Uint8Array(recordSize).fill(0x61)
    const latencies = new Float64Array(ops)
    const start = performance.now()
    for (let index = 0; index < ops; index++) {
      const before = performance.now()
      await file.write(record, index * recordSize)
      await file.sync()
      latencies[index] = performance.now() - before
      onAppend?.(index + 1)
    }
    return summarizeLatencies(latencies, performance.now() - start)
  } finally {
    await file.close()
    await vfs.unlink(path)
  }
}
