/**
 * What a lone durable commit costs, and where (perf issue 3, W1). Two measurements in one run:
 *
 * 1. The disk path, raw: a 184-byte frame appended to a preallocated file, awaited one at a time,
 *    three ways — an async write then an async fdatasync (two trips through Node's thread pool),
 *    one async write through an O_DSYNC handle (one trip: what the log does), and synchronous
 *    write + fdatasync on the main thread (no thread pool: SQLite's path, which blocks every other
 *    piece of JavaScript for the flush).
 * 2. TinyDB's W1 — 2,000 awaited puts — three times in one process: the first round pays for V8
 *    compiling the put path, the later ones show the steady state.
 *
 *   node apps/bench/dist/commit-path/main.js [--puts 2000] [--rounds 3] [--dir DIR]
 */
import * as fs from 'node:fs'
import { mkdtemp, open as openFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { open } from '@tinydb/engine'
import { keyOf, valueOf } from '../compare/keys.js'

const FRAME_SIZE = 184
const FILE_SIZE = 8 * 1024 * 1024

interface Line {
  readonly name: string
  readonly latencies: number[]
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { puts: { type: 'string', default: '2000' }, rounds: { type: 'string', default: '3' }, dir: { type: 'string' } },
  })
  const puts = Number(values.puts)
  const rounds = Number(values.rounds)
  const dir = values.dir ?? (await mkdtemp(join(tmpdir(), 'tinydb-commit-path-')))
  try {
    console.log(`commit path: ${puts} awaited commits per line, Node ${process.version}`)
    const lines: Line[] = []
    for (let round = 0; round < 2; round++) {
      lines.push({ name: `raw: async write + fdatasync (round ${round + 1})`, latencies: await rawTwoCalls(join(dir, 'two'), puts) })
      lines.push({ name: `raw: one O_DSYNC write (round ${round + 1})`, latencies: await rawDsync(join(dir, 'dsync'), puts) })
      lines.push({ name: `raw: sync write + fdatasync on the main thread (round ${round + 1})`, latencies: await rawSynchronous(join(dir, 'sync'), puts) })
    }
    const db = await open(join(dir, 'store'))
    try {
      for (let round = 0; round < rounds; round++) {
        const latencies: number[] = []
        for (let i = 0; i < puts; i++) {
          const index = round * puts + i
          const started = performance.now()
          await db.put(keyOf(index), valueOf(index))
          latencies.push(performance.now() - started)
        }
        lines.push({ name: `tinydb W1, round ${round + 1} in one process`, latencies })
      }
    } finally {
      await db.close()
    }
    console.log('| line | ops/s | p50 ms | p99 ms | p99.9 ms |')
    console.log('|---|---:|---:|---:|---:|')
    for (const { name, latencies } of lines) {
      const sorted = [...latencies].sort((a, b) => a - b)
      const at = (q: number): string => sorted[Math.floor(q * (sorted.length - 1))]!.toFixed(3)
      const total = latencies.reduce((sum, latency) => sum + latency, 0)
      console.log(`| ${name} | ${Math.round(latencies.length / (total / 1000)).toLocaleString('en-US')} | ${at(0.5)} | ${at(0.99)} | ${at(0.999)} |`)
    }
  } finally {
    if (values.dir === undefined) await rm(dir, { recursive: true, force: true })
  }
}

async function preallocate(path: string): Promise<void> {
  const file = await openFile(path, 'w')
  await file.write(Buffer.alloc(FILE_SIZE))
  await file.sync()
  await file.close()
}

async function rawTwoCalls(path: string, count: number): Promise<number[]> {
  await preallocate(path)
  const file = await openFile(path, 'r+')
  const frame = Buffer.alloc(FRAME_SIZE, 7)
  const latencies: number[] = []
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    await file.write(frame, 0, FRAME_SIZE, i * FRAME_SIZE)
    await file.datasync()
    latencies.push(performance.now() - started)
  }
  await file.close()
  return latencies
}

async function rawDsync(path: string, count: number): Promise<number[]> {
  await preallocate(path)
  const file = await openFile(path, fs.constants.O_RDWR | fs.constants.O_DSYNC)
  const frame = Buffer.alloc(FRAME_SIZE, 7)
  const latencies: number[] = []
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    await file.write(frame, 0, FRAME_SIZE, i * FRAME_SIZE)
    latencies.push(performance.now() - started)
  }
  await file.close()
  return latencies
}

async function rawSynchronous(path: string, count: number): Promise<number[]> {
  await preallocate(path)
  const fd = fs.openSync(path, 'r+')
  const frame = Buffer.alloc(FRAME_SIZE, 7)
  const latencies: number[] = []
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    fs.writeSync(fd, frame, 0, FRAME_SIZE, i * FRAME_SIZE)
    fs.fdatasyncSync(fd)
    latencies.push(performance.now() - started)
    await Promise.resolve() // an awaited commit, like the others
  }
  fs.closeSync(fd)
  return latencies
}

await main()
