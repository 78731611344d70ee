import { performance } from 'node:perf_hooks'
import { Command } from 'commander'
import { integerAtLeast } from '../arguments.js'
import { dataDir } from '../data-dir.js'
import { MAX_FLOOR_OPS, measureFloor } from '../floor.js'
import { printLine } from '../io.js'
import { startProgress } from '../progress.js'
import { summarizeLatencies } from '../latency.js'
import type { LatencySummary } from '../latency.js'
import { withStore } from '../store.js'
import { encodeText } from '../text.js'

/**
 * The log bytes one put occupies, so the floor appends records of the same size: the record
 * (@tinydb/recovery FORMAT.md: kind u8, count u32, op u8, key length u32, value length u32) inside a
 * frame (@tinydb/wal FORMAT.md: 20-byte header, padded to 8 bytes). Restated here, not imported, as
 * the CLI depends only on the engine; a few bytes either way do not change what an fdatasync costs.
 */
const PUT_RECORD_HEADER = 1 + 4 + 1 + 4 + 4
const FRAME_HEADER = 20
const FRAME_ALIGNMENT = 8

export function putRecordSize(keySize: number, valueSize: number): number {
  return Math.ceil((FRAME_HEADER + PUT_RECORD_HEADER + keySize + valueSize) / FRAME_ALIGNMENT) * FRAME_ALIGNMENT
}

const ms = (value: number): string => value.toFixed(3)
const rate = (value: number): string => value.toFixed(1)

export function benchCommand(): Command {
  return new Command('bench')
    .description(
      'time <N> durable puts (each awaited, key = <key><i>) on the store, then the raw append+fdatasync floor of this disk',
    )
    .argument('<N>', 'number of puts', integerAtLeast(1))
    .argument('<key>', 'key prefix; put i uses key <key><i>')
    .argument('<valueSize>', 'value size in bytes', integerAtLeast(0))
    .addHelpText('after', '\nProgress bars (puts, then floor fdatasyncs) are drawn on stderr only when it is a terminal\n(not under CI; NO_COLOR removes colour), outside the timed calls.')
    .action(async (ops: number, key: string, valueSize: number, _options: unknown, command: Command) => {
      const dir = dataDir(command)
      const value = new Uint8Array(valueSize).fill(0x61) // 'a': printable, so `get` shows it
      const latencies = new Float64Array(ops)
      // About a hundred redraws per phase, outside the timed put: the bar costs the figures nothing
      // measurable, and nothing at all when it is not shown.
      const every = Math.max(1, Math.floor(ops / 100))
      const { elapsedMs, logWriteMs } = await withStore(dir, async (db) => {
        const progress = startProgress({ label: 'bench', total: ops, detail: '{value} puts' })
        try {
          const writesBefore = db.stats().wal.groups.writeMs
          const start = performance.now()
          for (let index = 0; index < ops; index++) {
            const before = performance.now()
            await db.put(`${key}${index}`, value)
            latencies[index] = performance.now() - before
            if ((index + 1) % every === 0) progress.update(index + 1)
          }
          const elapsed = performance.now() - start
          return { elapsedMs: elapsed, logWriteMs: db.stats().wal.groups.writeMs - writesBefore }
        } finally {
          progress.stop()
        }
      })
      const store = summarizeLatencies(latencies, elapsedMs)

      const recordSize = putRecordSize(encodeText(`${key}${ops - 1}`).length, valueSize)
      const floorOps = Math.min(ops, MAX_FLOOR_OPS)
      const floorEvery = Math.max(1, Math.floor(floorOps / 100))
      const floorProgress = startProgress({ label: 'floor', total: floorOps, detail: '{value} syncs' })
      let floor: LatencySummary
      try {
        floor = await measureFloor(dir, recordSize, floorOps, undefined, (done) => {
          if (done % floorEvery === 0) floorProgress.update(done)
        })
      } finally {
        floorProgress.stop()
      }

      printLine(`ops: ${ops}`)
      printLine(`value size: ${valueSize} bytes`)
      printLine(`mean latency (ms): ${ms(store.meanMs)}`)
      printLine(`p50 (ms): ${ms(store.p50Ms)}`)
      printLine(`p95 (ms): ${ms(store.p95Ms)}`)
      printLine(`p99 (ms): ${ms(store.p99Ms)}`)
      printLine(`throughput (ops/sec): ${rate(store.throughput)}`)
      // What the disk took of each put (the log's durable write) and what the rest of the put took.
      printLine(`log write per put (ms): ${ms(logWriteMs / ops)}`)
      printLine(`rest of a put (ms): ${ms(store.meanMs - logWriteMs / ops)}`)
      printLine(`floor p50 (ms): ${ms(floor.p50Ms)}`)
      printLine(`floor throughput (ops/sec): ${rate(floor.throughput)}`)
      printLine(`ratio to floor (throughput): ${(store.throughput / floor.throughput).toFixed(2)}`)
      printLine('bench done')
    })
}
