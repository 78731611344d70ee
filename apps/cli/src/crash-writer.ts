/**
 * The writer process of `tinydb run_tests`: it opens the store in `dir`, puts `count` keys (each
 * awaited, so each is durable), reports `acknowledged <count>` on stdout, and then waits, never
 * closing the store, until its parent kills it with SIGKILL. What survives that kill is exactly what
 * recovery must bring back.
 *
 * Usage: node crash-writer.js <dir> <count>
 */
import { open } from '@tinydb/engine'
import { crashTestEntry } from './crash-test-data.js'

const [dir, countText] = process.argv.slice(2)
const count = Number(countText)
if (dir === undefined || !Number.isSafeInteger(count) || count < 1) {
  process.stderr.write('usage: crash-writer <dir> <count>\n')
  process.exit(2)
}

const db = await open(dir)
for (let index = 0; index < count; index++) {
  const { key, value } = crashTestEntry(index)
  await db.put(key, value)
}
process.stdout.write(`acknowledged ${count}\n`)
// Keep the process (and the open store) alive until the parent's SIGKILL.
setInterval(() => undefined, 60_000)
