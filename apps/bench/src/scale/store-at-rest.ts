/**
 * Run as a child of `scale` (`node dist/scale/store-at-rest.js DIR`): the RSS of a `node` that has
 * loaded TinyDB, opened a store in DIR, written one key and checkpointed it, so the durable-write
 * worker thread is running — everything a store costs before its data does. Prints the bytes.
 *
 * Goal 3 bounds peak RSS by `cacheSize` + 64 MiB; this plus the full cache is what a load holds
 * before the JavaScript heap grows at all.
 */
import { open } from '@tinydb/engine'

const dir = process.argv[2]
if (dir === undefined) throw new Error('usage: node dist/scale/store-at-rest.js DIR')
const db = await open(dir)
await db.put('key', 'value')
await db.checkpoint()
const rss = process.memoryUsage.rss()
await db.close()
process.stdout.write(String(rss))
