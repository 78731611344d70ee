/**
 * What a lone durable commit costs, and where (perf issue 3, W1). Two measurements in one run:
 *
 * 1. The disk path, raw: one W1 log frame (`FLOOR_RECORD_SIZE`) appended to a preallocated file
 *    (`FloorFile`), awaited one at a time, three ways — a write then an fdatasync (two trips through
 *    Node's thread pool: compare's floor), one write through an O_DSYNC handle (one trip: what the
 *    log does), and synchronous write + fdatasync on the main thread (no thread pool: SQLite's
 *    path, which blocks every other piece of JavaScript for the flush).
 * 2. A store's W1 — 2,000 awaited puts — several times in one process: the first round pays for V8
 *    compiling the put path, the later ones show the steady state. TinyDB by default; any store of
 *    `compare` with `--store` or `--adapter`, so the same rounds can be set beside a peer's (a
 *    native store's first round pays only for the harness's own JavaScript warming up).
 *
 *   node apps/bench/dist/commit-path/main.js [--puts 2000] [--rounds 3] [--store NAME | --adapter MODULE]
 *     [--skip-raw] [--dir DIR]
 *
 * `--skip-raw` leaves out part 1, so the first round runs in a process that has done nothing else:
 * what compare's W1 measures. For a store that times its own log writes (`StoreHandle.logWrites`:
 * TinyDB), each round also shows what the disk took of a commit and what the rest of it took.
 */
import * as fs from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { NodeVfs } from '@tinydb/vfs'
import type { LogWrites } from '../compare/adapter.js'
import { adapterFor } from '../compare/built-in.js'
import { FLOOR_RECORD_SIZE } from '../compare/floor.js'
import { keyOf, valueOf } from '../compare/keys.js'
import { percentile } from '../compare/workloads.js'
import { FloorFile } from '../floor.js'
import { positiveInteger } from '../integer-option.js'

const CAPACITY = 8 * 1024 * 1024
const vfs = new NodeVfs()

const USAGE = `usage: node dist/commit-path/main.js [options]
  --puts N          awaited commits per line (default 2000: compare's W1)
  --rounds N        rounds of the store's W1 in one process (default 3); the first pays for V8
                    compiling the put path
  --store NAME      a built-in store of compare: tinydb (default), lmdb, leveldb, sqlite
  --adapter MODULE  an adapter module instead (see README.md, "Adding a store")
  --skip-raw        leave out the raw disk loops, so the first round runs in a process that has
                    done nothing else, as compare's W1 does
  --dir DIR         where the files go (default: a new directory in the OS temp dir)`

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      puts: { type: 'string', default: '2000' },
      rounds: { type: 'string', default: '3' },
      store: { type: 'string' },
      adapter: { type: 'string' },
      'skip-raw': { type: 'boolean', default: false },
      dir: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  })
  if (values.help === true) {
    console.log(USAGE)
    return
  }
  const puts = positiveInteger('--puts', values.puts)
  const rounds = positiveInteger('--rounds', values.rounds)
  const adapter = await adapterFor(values.store ?? 'tinydb', values.adapter)
  const dir = values.dir ?? (await mkdtemp(join(tmpdir(), 'tinydb-commit-path-')))
  try {
    console.log(`commit path: ${puts} awaited commits per line, Node ${process.version}`)
    console.log('| line | ops/s | p50 ms | p99 ms | p99.9 ms | log write µs per commit | the rest µs per commit |')
    console.log('|---|---:|---:|---:|---:|---:|---:|')
    if (values['skip-raw'] !== true) {
      for (let round = 1; round <= 2; round++) {
        printLine(`raw: async write + fdatasync (round ${round})`, await timed(puts, await floorAppend(join(dir, 'two'), false)))
        printLine(`raw: one O_DSYNC write (round ${round})`, await timed(puts, await floorAppend(join(dir, 'dsync'), true)))
        printLine(`raw: sync write + fdatasync on the main thread (round ${round})`, await timed(puts, await synchronousAppend(join(dir, 'sync'))))
      }
    }
    // An adapter is given an empty directory the harness owns (see compare/adapter.ts).
    const storeDir = await mkdtemp(join(dir, 'store-'))
    const store = await adapter.open(storeDir)
    try {
      let index = 0
      for (let round = 1; round <= rounds; round++) {
        const before = store.logWrites?.()
        const latencies = await timed(puts, async () => {
          await store.put(keyOf(index), valueOf(index))
          index++
        })
        const after = store.logWrites?.()
        printLine(`${adapter.name} W1, round ${round} in one process`, latencies, before && after && { writes: after.writes - before.writes, ms: after.ms - before.ms })
      }
    } finally {
      await store.close()
      await rm(storeDir, { recursive: true, force: true })
    }
    console.log(`\n${adapter.name}: ${adapter.describe}`)
  } finally {
    if (values.dir === undefined) await rm(dir, { recursive: true, force: true })
  }
}

/** Latencies of `count` awaited calls of `commit`, after which `commit.close` (if any) runs. */
async function timed(count: number, commit: (() => Promise<void>) & { close?: () => Promise<void> }): Promise<Float64Array> {
  const latencies = new Float64Array(count)
  for (let i = 0; i < count; i++) {
    const started = performance.now()
    await commit()
    latencies[i] = performance.now() - started
  }
  await commit.close?.()
  return latencies
}

/**
 * One line of the table. With `logWrites` (the store's own timing of its durable log writes during
 * these commits), the mean commit splits into the disk's share and the rest: the store's own code
 * and its turns of the event loop.
 */
function printLine(name: string, latencies: Float64Array, logWrites?: LogWrites): void {
  const total = latencies.reduce((sum, latency) => sum + latency, 0)
  const ms = (fraction: number): string => percentile(latencies, fraction).toFixed(3)
  const perCommitUs = (totalMs: number): string => Math.round((1000 * totalMs) / latencies.length).toLocaleString('en-US')
  const split = logWrites === undefined ? ' | |' : ` ${perCommitUs(logWrites.ms)} | ${perCommitUs(total - logWrites.ms)} |`
  console.log(`| ${name} | ${Math.round(latencies.length / (total / 1000)).toLocaleString('en-US')} | ${ms(0.5)} | ${ms(0.99)} | ${ms(0.999)} |${split}`)
}

async function floorAppend(path: string, dsync: boolean): Promise<(() => Promise<void>) & { close: () => Promise<void> }> {
  const floor = await FloorFile.open(vfs, path, CAPACITY, { dsync })
  const frame = new Uint8Array(FLOOR_RECORD_SIZE).fill(0x61)
  return Object.assign(() => floor.append(frame), { close: () => floor.close() })
}

/** The same append with synchronous calls on the main thread (the file preallocated as FloorFile does). */
async function synchronousAppend(path: string): Promise<(() => Promise<void>) & { close: () => Promise<void> }> {
  await (await FloorFile.open(vfs, path, CAPACITY)).close()
  const fd = fs.openSync(path, 'r+')
  const frame = new Uint8Array(FLOOR_RECORD_SIZE).fill(0x61)
  let offset = 0
  const append = async (): Promise<void> => {
    if (offset + frame.length > CAPACITY) offset = 0
    fs.writeSync(fd, frame, 0, frame.length, offset)
    fs.fdatasyncSync(fd)
    offset += frame.length
  }
  return Object.assign(append, { close: async () => fs.closeSync(fd) })
}

await main()
