// Random gets by key shape, for A/B runs of two builds of TinyDB (a checkout each, built): do key
// heads help keys that share a long start as they help random ones? One run loads <keys> entries
// (128-byte values, durable batches of 1,000, a cache that holds the tree) and times 200,000
// random `getSync`s, fastest of 5 passes.
//
//   prefixed: `user:` and a 10-digit number (`user:0000123457`): every key starts with the same
//             5 bytes and most with many more zeros
//   random:   16 bytes, the first 4 random-looking (like apps/bench's keys)
//
// usage (run each build in its own process, alternating, several times: the machine is noisy):
//   node docs/bench/key-shape-gets.mjs <checkout> <keys> <prefixed|random>
// e.g. for i in 1 2 3; do for r in /tmp/before /path/to/tinydb; do node docs/bench/key-shape-gets.mjs $r 300000 prefixed; done; done
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import { pathToFileURL } from 'node:url'

const [checkout, keys, shape] = [process.argv[2], Number(process.argv[3]), process.argv[4]]
if (checkout === undefined || !(keys > 0) || (shape !== 'prefixed' && shape !== 'random')) {
  console.error('usage: node docs/bench/key-shape-gets.mjs <checkout> <keys> <prefixed|random>')
  process.exit(2)
}
const { open } = await import(pathToFileURL(resolve(checkout, 'packages/engine/dist/index.js')).href)
const keyOf = (i) => {
  if (shape === 'prefixed') return Buffer.from(`user:${String((i * 7919) % keys).padStart(10, '0')}`)
  const key = Buffer.alloc(16)
  key.writeUInt32BE(Math.imul(i, 2654435761) >>> 0, 0)
  key.writeUInt32BE(i, 12)
  return key
}
const dir = mkdtempSync(join(tmpdir(), 'tinydb-key-shape-'))
try {
  const value = Buffer.alloc(128, 7)
  const db = await open(dir, { cacheSize: 1024 * 1024 * 1024 })
  for (let at = 0; at < keys; at += 1000) {
    const batch = []
    for (let i = at; i < Math.min(keys, at + 1000); i++) batch.push({ type: 'put', key: keyOf(i), value })
    await db.batch(batch)
  }
  const probes = []
  let state = 12345
  for (let i = 0; i < 200_000; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0
    probes.push(keyOf(state % keys))
  }
  let best = Infinity
  for (let pass = 0; pass < 5; pass++) {
    const start = performance.now()
    for (const key of probes) if (db.getSync(key) === undefined) throw new Error('a loaded key is missing')
    best = Math.min(best, performance.now() - start)
  }
  console.log(`${checkout} ${shape} ${keys}: ${Math.round((200_000 / best) * 1000).toLocaleString('en-US')} gets/s`)
  await db.close()
} finally {
  rmSync(dir, { recursive: true, force: true })
}
