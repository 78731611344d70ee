/**
 * Goal 3's get ratio for any store of `compare`: loads N keys through the store's adapter (durable
 * batches), and times random point reads at 100k keys and at N, as `scale` does for TinyDB. What it
 * adds is the peer beside TinyDB: whether a store that reads its file through a memory map (lmdb)
 * meets the ratio on this machine, and how far a store with its own page cache stands from it.
 *
 *   node apps/bench/dist/scale/peer-gets.js (--store NAME | --adapter MODULE) [--keys 1000000]
 *     [--batch 1000] [--gets 200000] [--passes 3] [--dir DIR]
 *
 * Figures are the store's through its adapter (`get` as compare's W4 calls it), so TinyDB here runs
 * with its default options; `scale --cache-size` is the way to vary its cache.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import type { Entry, StoreHandle } from '../compare/adapter.js'
import { adapterFor } from '../compare/built-in.js'
import { keyOf, valueOf } from '../compare/keys.js'
import { readAll } from '../compare/workloads.js'
import { positiveInteger } from '../integer-option.js'
import { packedRandomKeys } from './load.js'

const SMALL = 100_000
const GET_SEED = 0x5eed

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      store: { type: 'string' },
      adapter: { type: 'string' },
      keys: { type: 'string', default: '1000000' },
      batch: { type: 'string', default: '1000' },
      gets: { type: 'string', default: '200000' },
      passes: { type: 'string', default: '3' },
      dir: { type: 'string' },
    },
  })
  const keys = positiveInteger('--keys', values.keys)
  const batchSize = positiveInteger('--batch', values.batch)
  const gets = positiveInteger('--gets', values.gets)
  const passes = positiveInteger('--passes', values.passes)
  const adapter = await adapterFor(values.store, values.adapter)
  const small = Math.min(SMALL, keys)
  const dir = await mkdtemp(join(values.dir ?? process.env['TINYDB_BENCH_DIR'] ?? tmpdir(), 'tinydb-peer-gets-'))
  try {
    // An adapter is given an empty directory the harness owns (see compare/adapter.ts).
    const store = await adapter.open(dir)
    try {
      process.stderr.write(`peer-gets: ${adapter.name}, loading ${keys.toLocaleString('en-US')} keys in batches of ${batchSize}\n`)
      const loadSmall = await load(store, 0, small, batchSize)
      const getsSmall = await fastestPass(store, small, gets, passes, GET_SEED)
      const loadRest = await load(store, small, keys, batchSize)
      const getsAll = await fastestPass(store, keys, gets, passes, GET_SEED + 1)
      const loadRate = keys / (loadSmall + loadRest)
      const maxRssMb = process.resourceUsage().maxRSS / 1024
      const format = (value: number): string => Math.round(value).toLocaleString('en-US')
      console.log(`| store | load: puts/s | gets/s at ${format(small)} | gets/s at ${format(keys)} | ratio | peak RSS: MB |`)
      console.log('|---|---:|---:|---:|---:|---:|')
      console.log(`| ${adapter.name} | ${format(loadRate)} | ${format(getsSmall)} | ${format(getsAll)} | ${(getsAll / getsSmall).toFixed(2)} | ${format(maxRssMb)} |`)
      console.log(`\n${adapter.name}: ${adapter.describe}; gets: the fastest of ${passes} passes of ${format(gets)} random present keys`)
    } finally {
      await store.close()
    }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/** Puts keys `[from, to)` in durable batches of `batchSize`, one awaited at a time; returns the seconds taken. */
async function load(store: StoreHandle, from: number, to: number, batchSize: number): Promise<number> {
  const started = performance.now()
  for (let at = from; at < to; at += batchSize) {
    const batch: Entry[] = []
    for (let i = at; i < Math.min(at + batchSize, to); i++) batch.push([keyOf(i), valueOf(i)])
    await store.putMany(batch)
  }
  return (performance.now() - started) / 1000
}

/**
 * Gets/s of the fastest of `passes` passes of `count` random reads of keys among the first `keys`,
 * after an untimed warm-up of a tenth as many (as `scale` times TinyDB), read as compare's W4 reads
 * (`readAll`: a store whose `get` returns the value is never awaited).
 */
async function fastestPass(store: StoreHandle, keys: number, count: number, passes: number, seed: number): Promise<number> {
  const warmUp = Math.ceil(count / 10)
  const keyAt = packedRandomKeys(warmUp + passes * count, keys, seed)
  const keysFrom = (from: number, length: number): Uint8Array[] => Array.from({ length }, (_, i) => keyAt(from + i))
  await readAll(store, keysFrom(0, warmUp))
  let fastest = 0
  for (let pass = 0; pass < passes; pass++) {
    const passKeys = keysFrom(warmUp + pass * count, count)
    const started = performance.now()
    const found = await readAll(store, passKeys)
    fastest = Math.max(fastest, count / ((performance.now() - started) / 1000))
    if (found !== count) throw new Error(`peer-gets: ${found} of ${count} keys found`)
  }
  return fastest
}

await main()
